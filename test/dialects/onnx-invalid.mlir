// RUN: sieve-opt %s -split-input-file -verify-diagnostics
// Every diagnostic of the onnx dialect's verifiers and type inference.

func.func @add_element_types(%a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{'onnx.Add' op operand element types differ: 'f32' vs 'f16'}}
  %0 = onnx.Add %a, %b : (tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'onnx.Add' op operand shapes do not broadcast}}
  %0 = onnx.Add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @add_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'onnx.Add' op failed to infer returned types}}
  // expected-error @+1 {{'onnx.Add' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  %0 = onnx.Add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @equal_result_type(%a: tensor<3xf32>) {
  // expected-error @+2 {{'onnx.Equal' op failed to infer returned types}}
  // expected-error @+1 {{'onnx.Equal' op inferred type(s) 'tensor<3xi1>' are incompatible}}
  %0 = onnx.Equal %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @and_not_bool(%a: tensor<3xi64>) {
  // expected-error @+1 {{'onnx.And' op operands must be bool tensors, got 'tensor<3xi64>'}}
  %0 = onnx.And %a, %a : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  return
}

// -----

func.func @mod_float(%a: tensor<3xf32>) {
  // expected-error @+1 {{'onnx.Mod' op floating-point operands need fmod = 1}}
  %0 = onnx.Mod %a, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @where_condition(%c: tensor<3xf32>, %x: tensor<3xf32>) {
  // expected-error @+1 {{'onnx.Where' op condition must be a bool tensor, got 'tensor<3xf32>'}}
  %0 = onnx.Where %c, %x, %x : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @sum_empty() {
  // expected-error @+1 {{'onnx.Sum' op needs at least one input}}
  %0 = "onnx.Sum"() : () -> tensor<3xf32>
  return
}

// -----

func.func @gelu_approximate(%x: tensor<3xf32>) {
  // expected-error @+1 {{'onnx.Gelu' op approximate must be "none" or "tanh", got "erf"}}
  %0 = onnx.Gelu %x {approximate = "erf"} : (tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @clip_bounds(%x: tensor<3xf32>, %m: tensor<2xf32>) {
  // expected-error @+1 {{'onnx.Clip' op min and max must be scalars, got 'tensor<2xf32>'}}
  %0 = onnx.Clip %x, %m, %m : (tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @reduce_both_axes(%x: tensor<2x3xf32>, %axes: tensor<1xi64>) {
  // expected-error @+1 {{'onnx.ReduceMean' op axes given both as an attribute and as an operand}}
  %0 = onnx.ReduceMean %x, %axes {axes = array<i64: 1>} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_axis_range(%x: tensor<2x3xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ReduceSum' op axes value 2 out of range for rank 2}}
  %0 = onnx.ReduceSum %x, %none {axes = array<i64: 2>} : (tensor<2x3xf32>, none) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_axis_duplicate(%x: tensor<2x3xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ReduceMax' op axes has duplicate axis -1}}
  %0 = onnx.ReduceMax %x, %none {axes = array<i64: 1, -1>} : (tensor<2x3xf32>, none) -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_axes_rank(%x: tensor<2x3xf32>, %axes: tensor<1x1xi64>) {
  // expected-error @+1 {{'onnx.ReduceMin' op axes must have rank 1, got 2}}
  %0 = onnx.ReduceMin %x, %axes : (tensor<2x3xf32>, tensor<1x1xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @argmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.ArgMax' op axis 2 out of range for rank 2}}
  %0 = onnx.ArgMax %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xi64>
  return
}

// -----

func.func @cumsum_axis(%x: tensor<2x3xf32>, %a: tensor<2xi64>) {
  // expected-error @+1 {{'onnx.CumSum' op axis must hold one value}}
  %0 = onnx.CumSum %x, %a : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @cumsum_axis_type(%x: tensor<2x3xf32>, %a: tensor<f32>) {
  // expected-error @+1 {{'onnx.CumSum' op axis must be an integer tensor}}
  %0 = onnx.CumSum %x, %a : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Softmax' op axis -3 out of range for rank 2}}
  %0 = onnx.Softmax %x {axis = -3 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @topk_k(%x: tensor<2x3xf32>, %k: tensor<1x1xi64>) {
  // expected-error @+1 {{'onnx.TopK' op K must have rank 0 to 1, got 2}}
  %0:2 = onnx.TopK %x, %k : (tensor<2x3xf32>, tensor<1x1xi64>) -> (tensor<2x?xf32>, tensor<2x?xi64>)
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'onnx.MatMul' op contraction sizes differ: 3 vs 4}}
  %0 = onnx.MatMul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'onnx.MatMul' op operands must have rank >= 1}}
  %0 = onnx.MatMul %a, %b : (tensor<f32>, tensor<4x5xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Gemm' op A must have rank 2, got 3}}
  %0 = onnx.Gemm %a, %b, %none : (tensor<2x3x4xf32>, tensor<4x5xf32>, none) -> tensor<?x5xf32>
  return
}

// -----

func.func @gemm_contraction(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Gemm' op contraction sizes differ: 3 vs 4}}
  %0 = onnx.Gemm %a, %b, %none {transA = 1 : i64} : (tensor<3x4xf32>, tensor<4x5xf32>, none) -> tensor<4x5xf32>
  return
}

// -----

func.func @einsum_terms(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Einsum' op equation has 2 input terms but the op has 1 inputs}}
  %0 = onnx.Einsum %a {equation = "ij,jk->ik"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @cast_to(%x: tensor<3xf32>) {
  // expected-error @+1 {{'onnx.Cast' op result element type 'f16' differs from `to` 'i64'}}
  %0 = onnx.Cast %x {to = i64} : (tensor<3xf32>) -> tensor<3xf16>
  return
}

// -----

func.func @concat_ranks(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'onnx.Concat' op inputs have different ranks}}
  %0 = onnx.Concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Concat' op axis 2 out of range for rank 2}}
  %0 = onnx.Concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @constant_type() {
  // expected-error @+1 {{'onnx.Constant' op value type 'tensor<2xf32>' differs from result type 'tensor<3xf32>'}}
  %0 = onnx.Constant {value = dense<1.0> : tensor<2xf32>} : tensor<3xf32>
  return
}

// -----

func.func @constant_of_shape_value(%s: tensor<2xi64>) {
  // expected-error @+1 {{'onnx.ConstantOfShape' op value must hold exactly one element}}
  %0 = onnx.ConstantOfShape %s {value = dense<1.0> : tensor<2xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @constant_of_shape_type(%s: tensor<2xi64>) {
  // expected-error @+1 {{'onnx.ConstantOfShape' op result element type 'f16' differs from the value's 'f32'}}
  %0 = onnx.ConstantOfShape %s {value = dense<1.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf16>
  return
}

// -----

func.func @constant_of_shape_input(%s: tensor<i64>) {
  // expected-error @+1 {{'onnx.ConstantOfShape' op input must have rank 1, got 0}}
  %0 = onnx.ConstantOfShape %s : (tensor<i64>) -> tensor<*xf32>
  return
}

// -----

func.func @expand_shape(%x: tensor<3xf32>, %s: tensor<2x2xi64>) {
  // expected-error @+1 {{'onnx.Expand' op shape must have rank 1, got 2}}
  %0 = onnx.Expand %x, %s : (tensor<3xf32>, tensor<2x2xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @flatten_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Flatten' op axis 3 out of range for rank 2}}
  %0 = onnx.Flatten %x {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<?x?xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{'onnx.Gather' op axis 2 out of range for rank 2}}
  %0 = onnx.Gather %x, %i {axis = 2 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_indices(%x: tensor<2x3xf32>, %i: tensor<4xf32>) {
  // expected-error @+1 {{'onnx.Gather' op indices must be an integer tensor}}
  %0 = onnx.Gather %x, %i : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @gather_elements_rank(%x: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{'onnx.GatherElements' op data and indices must have the same rank}}
  %0 = onnx.GatherElements %x, %i : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @gather_nd_batch(%x: tensor<2x3xf32>, %i: tensor<2x1xi64>) {
  // expected-error @+1 {{'onnx.GatherND' op batch_dims 2 must be less than the ranks of data and indices}}
  %0 = onnx.GatherND %x, %i {batch_dims = 2 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_nd_negative_batch(%x: tensor<2x3xf32>, %i: tensor<2x1xi64>) {
  // expected-error @+1 {{'onnx.GatherND' op batch_dims must be non-negative}}
  %0 = onnx.GatherND %x, %i {batch_dims = -1 : i64} : (tensor<2x3xf32>, tensor<2x1xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_nd_scalar_indices(%x: tensor<2x3xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{'onnx.GatherND' op indices must have rank >= 1}}
  %0 = onnx.GatherND %x, %i : (tensor<2x3xf32>, tensor<i64>) -> tensor<*xf32>
  return
}

// -----

func.func @gather_nd_tuple(%x: tensor<2x3xf32>, %i: tensor<4x3xi64>) {
  // expected-error @+1 {{'onnx.GatherND' op index tuples of length 3 exceed the data rank 2 minus batch_dims}}
  %0 = onnx.GatherND %x, %i : (tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<*xf32>
  return
}

// -----

func.func @scatter_nd_reduction(%x: tensor<4xf32>, %i: tensor<1x1xi64>, %u: tensor<1xf32>) {
  // expected-error @+1 {{'onnx.ScatterND' op unknown reduction "sum"}}
  %0 = onnx.ScatterND %x, %i, %u {reduction = "sum"} : (tensor<4xf32>, tensor<1x1xi64>, tensor<1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @range_scalar(%a: tensor<1xi64>) {
  // expected-error @+1 {{'onnx.Range' op start, limit and delta must have rank 0, got 1}}
  %0 = onnx.Range %a, %a, %a : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @range_types(%a: tensor<i64>, %b: tensor<i32>) {
  // expected-error @+1 {{'onnx.Range' op operand element types differ: 'i64' vs 'i32'}}
  %0 = onnx.Range %a, %b, %a : (tensor<i64>, tensor<i32>, tensor<i64>) -> tensor<?xi64>
  return
}

// -----

func.func @reshape_shape(%x: tensor<6xf32>, %s: tensor<i64>) {
  // expected-error @+1 {{'onnx.Reshape' op shape must have rank 1, got 0}}
  %0 = onnx.Reshape %x, %s : (tensor<6xf32>, tensor<i64>) -> tensor<*xf32>
  return
}

// -----

func.func @slice_starts(%x: tensor<6xf32>, %s: tensor<i64>, %e: tensor<1xi64>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Slice' op starts must have rank 1, got 0}}
  %0 = onnx.Slice %x, %s, %e, %none, %none : (tensor<6xf32>, tensor<i64>, tensor<1xi64>, none, none) -> tensor<?xf32>
  return
}

// -----

func.func @split_no_results(%x: tensor<6xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Split' op needs at least one result}}
  "onnx.Split"(%x, %none) : (tensor<6xf32>, none) -> ()
  return
}

// -----

func.func @split_both(%x: tensor<6xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'onnx.Split' op split and num_outputs are both given}}
  %0:2 = onnx.Split %x, %s {num_outputs = 2 : i64} : (tensor<6xf32>, tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @split_num_outputs(%x: tensor<6xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Split' op num_outputs 3 differs from the 2 results}}
  %0:2 = onnx.Split %x, %none {num_outputs = 3 : i64} : (tensor<6xf32>, none) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @split_sizes(%x: tensor<6xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{'onnx.Split' op split has 3 sizes for 2 results}}
  %0:2 = onnx.Split %x, %s : (tensor<6xf32>, tensor<3xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @split_axis(%x: tensor<6xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'onnx.Split' op axis 1 out of range for rank 1}}
  %0:2 = onnx.Split %x, %s {axis = 1 : i64} : (tensor<6xf32>, tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return
}

// -----

func.func @squeeze_axes(%x: tensor<1x6xf32>, %a: tensor<1x1xi64>) {
  // expected-error @+1 {{'onnx.Squeeze' op axes must have rank 0 to 1, got 2}}
  %0 = onnx.Squeeze %x, %a : (tensor<1x6xf32>, tensor<1x1xi64>) -> tensor<6xf32>
  return
}

// -----

func.func @unsqueeze_axes(%x: tensor<6xf32>, %a: tensor<1x1xi64>) {
  // expected-error @+1 {{'onnx.Unsqueeze' op axes must have rank 0 to 1, got 2}}
  %0 = onnx.Unsqueeze %x, %a : (tensor<6xf32>, tensor<1x1xi64>) -> tensor<1x6xf32>
  return
}

// -----

func.func @tile_repeats(%x: tensor<2x3xf32>, %r: tensor<3xi64>) {
  // expected-error @+1 {{'onnx.Tile' op repeats has 3 values for rank 2}}
  %0 = onnx.Tile %x, %r : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @tile_repeats_rank(%x: tensor<2x3xf32>, %r: tensor<i64>) {
  // expected-error @+1 {{'onnx.Tile' op repeats must have rank 1, got 0}}
  %0 = onnx.Tile %x, %r : (tensor<2x3xf32>, tensor<i64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'onnx.Transpose' op perm is not a permutation of [0, 3)}}
  %0 = onnx.Transpose %x {perm = array<i64: 0, 2, 2>} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @transpose_perm_size(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'onnx.Transpose' op perm has 2 entries for rank 3}}
  %0 = onnx.Transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @transpose_result(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'onnx.Transpose' op failed to infer returned types}}
  // expected-error @+1 {{'onnx.Transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible}}
  %0 = onnx.Transpose %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @trilu_rank(%x: tensor<3xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Trilu' op input must have rank 2 to}}
  %0 = onnx.Trilu %x, %none : (tensor<3xf32>, none) -> tensor<3xf32>
  return
}

// -----

func.func @trilu_k(%x: tensor<3x3xf32>, %k: tensor<1xi64>) {
  // expected-error @+1 {{'onnx.Trilu' op k must have rank 0, got 1}}
  %0 = onnx.Trilu %x, %k : (tensor<3x3xf32>, tensor<1xi64>) -> tensor<3x3xf32>
  return
}

// -----

func.func @shape_result(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'onnx.Shape' op failed to infer returned types}}
  // expected-error @+1 {{'onnx.Shape' op inferred type(s) 'tensor<2xi64>' are incompatible}}
  %0 = onnx.Shape %x {start = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x3xf32>, %s: tensor<3xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.LayerNormalization' op axis 2 out of range for rank 2}}
  %0:3 = onnx.LayerNormalization %x, %s, %none {axis = 2 : i64} : (tensor<2x3xf32>, tensor<3xf32>, none) -> (tensor<2x3xf32>, none, none)
  return
}

// -----

func.func @rms_norm_scale(%x: tensor<2x3xf32>, %s: tensor<3xf16>) {
  // expected-error @+1 {{'onnx.RMSNormalization' op operand element types differ: 'f32' vs 'f16'}}
  %0 = onnx.RMSNormalization %x, %s : (tensor<2x3xf32>, tensor<3xf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<2x3xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Attention' op Q, K and V must have rank 3 to 4, got 2}}
  %0:4 = onnx.Attention %q, %q, %q, %none, %none, %none : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, none, none, none) -> (tensor<2x3xf32>, none, none, none)
  return
}

// -----

func.func @attention_3d_heads(%q: tensor<1x5x64xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Attention' op 3-D inputs need q_num_heads and kv_num_heads}}
  %0:4 = onnx.Attention %q, %q, %q, %none, %none, %none : (tensor<1x5x64xf32>, tensor<1x5x64xf32>, tensor<1x5x64xf32>, none, none, none) -> (tensor<1x5x64xf32>, none, none, none)
  return
}

// -----

func.func @attention_heads(%q: tensor<1x5x64xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Attention' op q_num_heads 4 must be a positive multiple of kv_num_heads 3}}
  %0:4 = onnx.Attention %q, %q, %q, %none, %none, %none {q_num_heads = 4 : i64, kv_num_heads = 3 : i64} : (tensor<1x5x64xf32>, tensor<1x5x64xf32>, tensor<1x5x64xf32>, none, none, none) -> (tensor<1x5x64xf32>, none, none, none)
  return
}

// -----

func.func @attention_same_rank(%q: tensor<1x2x5x16xf32>, %k: tensor<1x5x32xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Attention' op Q, K and V must have the same rank}}
  %0:4 = onnx.Attention %q, %k, %k, %none, %none, %none : (tensor<1x2x5x16xf32>, tensor<1x5x32xf32>, tensor<1x5x32xf32>, none, none, none) -> (tensor<1x2x5x16xf32>, none, none, none)
  return
}

// -----

func.func @attention_mode(%q: tensor<1x2x5x16xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Attention' op qk_matmul_output_mode must be 0 to 3, got 4}}
  %0:4 = onnx.Attention %q, %q, %q, %none, %none, %none {qk_matmul_output_mode = 4 : i64} : (tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, none, none, none) -> (tensor<1x2x5x16xf32>, none, none, none)
  return
}

// -----

func.func @attention_past(%q: tensor<1x2x5x16xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Attention' op past_key and past_value must be given together}}
  %0:4 = onnx.Attention %q, %q, %q, %none, %q, %none : (tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, none, tensor<1x2x5x16xf32>, none) -> (tensor<1x2x5x16xf32>, none, none, none)
  return
}

// -----

func.func @rotary_heads(%x: tensor<1x5x64xf32>, %c: tensor<1x5x16xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.RotaryEmbedding' op 3-D input needs num_heads}}
  %0 = onnx.RotaryEmbedding %x, %c, %c, %none : (tensor<1x5x64xf32>, tensor<1x5x16xf32>, tensor<1x5x16xf32>, none) -> tensor<1x5x64xf32>
  return
}

// -----

func.func @rotary_rank(%x: tensor<5x64xf32>, %c: tensor<1x5x16xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.RotaryEmbedding' op X must have rank 3 to 4, got 2}}
  %0 = onnx.RotaryEmbedding %x, %c, %c, %none : (tensor<5x64xf32>, tensor<1x5x16xf32>, tensor<1x5x16xf32>, none) -> tensor<5x64xf32>
  return
}

// -----

func.func @ms_rotary_caches(%x: tensor<1x5x64xf32>, %p: tensor<1x5xi64>, %c: tensor<32x16xf32>, %s: tensor<32x16xf16>) {
  // expected-error @+1 {{'onnx.ms.RotaryEmbedding' op operand element types differ: 'f32' vs 'f16'}}
  %0 = onnx.ms.RotaryEmbedding %x, %p, %c, %s : (tensor<1x5x64xf32>, tensor<1x5xi64>, tensor<32x16xf32>, tensor<32x16xf16>) -> tensor<1x5x64xf32>
  return
}

// -----

func.func @skip_norm_gamma(%x: tensor<1x5x64xf32>, %g: tensor<32xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.SkipSimplifiedLayerNormalization' op gamma size 32 differs from the hidden size 64}}
  %0:4 = onnx.ms.SkipSimplifiedLayerNormalization %x, %x, %g, %none : (tensor<1x5x64xf32>, tensor<1x5x64xf32>, tensor<32xf32>, none) -> (tensor<1x5x64xf32>, none, none, none)
  return
}

// -----

func.func @skip_norm_rank(%x: tensor<64xf32>, %g: tensor<64xf32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.SkipLayerNormalization' op input must have rank 2 to 3, got 1}}
  %0:4 = onnx.ms.SkipLayerNormalization %x, %x, %g, %none, %none : (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, none, none) -> (tensor<64xf32>, none, none, none)
  return
}

// -----

func.func @gqa_heads(%q: tensor<1x5x64xf16>, %s: tensor<1xi32>, %t: tensor<i32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.GroupQueryAttention' op num_heads 4 must be a positive multiple of kv_num_heads 3}}
  %0:4 = onnx.ms.GroupQueryAttention %q, %none, %none, %none, %none, %s, %t, %none, %none, %none, %none, %none {kv_num_heads = 3 : i64, num_heads = 4 : i64} : (tensor<1x5x64xf16>, none, none, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x5x32xf16>, none, none, none)
  return
}

// -----

func.func @gqa_key_value(%q: tensor<1x5x64xf16>, %s: tensor<1xi32>, %t: tensor<i32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.GroupQueryAttention' op key and value must be given together}}
  %0:4 = onnx.ms.GroupQueryAttention %q, %q, %none, %none, %none, %s, %t, %none, %none, %none, %none, %none {kv_num_heads = 2 : i64, num_heads = 4 : i64} : (tensor<1x5x64xf16>, tensor<1x5x64xf16>, none, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x5x64xf16>, none, none, none)
  return
}

// -----

func.func @gqa_past(%q: tensor<1x5x64xf16>, %p: tensor<1x2x8x16xf16>, %s: tensor<1xi32>, %t: tensor<i32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.GroupQueryAttention' op past_key and past_value must be given together}}
  %0:4 = onnx.ms.GroupQueryAttention %q, %none, %none, %p, %none, %s, %t, %none, %none, %none, %none, %none {kv_num_heads = 2 : i64, num_heads = 4 : i64} : (tensor<1x5x64xf16>, none, none, tensor<1x2x8x16xf16>, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x5x64xf16>, none, none, none)
  return
}

// -----

func.func @gqa_rotary(%q: tensor<1x5x64xf16>, %s: tensor<1xi32>, %t: tensor<i32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.GroupQueryAttention' op do_rotary needs cos_cache and sin_cache}}
  %0:4 = onnx.ms.GroupQueryAttention %q, %none, %none, %none, %none, %s, %t, %none, %none, %none, %none, %none {do_rotary = 1 : i64, kv_num_heads = 2 : i64, num_heads = 4 : i64} : (tensor<1x5x64xf16>, none, none, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x5x32xf16>, none, none, none)
  return
}

// -----

func.func @gqa_query_rank(%q: tensor<5x64xf16>, %s: tensor<1xi32>, %t: tensor<i32>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.GroupQueryAttention' op query must have rank 3, got 2}}
  %0:4 = onnx.ms.GroupQueryAttention %q, %none, %none, %none, %none, %s, %t, %none, %none, %none, %none, %none {kv_num_heads = 2 : i64, num_heads = 4 : i64} : (tensor<5x64xf16>, none, none, none, none, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<5x32xf16>, none, none, none)
  return
}

// -----

func.func @nbits_bits(%a: tensor<1x64xf16>, %b: tensor<128x1x32xui8>, %s: tensor<128xf16>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.MatMulNBits' op bits must be 2, 4 or 8, got 3}}
  %0 = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 64 : i64, N = 128 : i64, bits = 3 : i64, block_size = 64 : i64} : (tensor<1x64xf16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<1x128xf16>
  return
}

// -----

func.func @nbits_block(%a: tensor<1x64xf16>, %b: tensor<128x1x32xui8>, %s: tensor<128xf16>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.MatMulNBits' op block_size must be a power of 2 >= 16, got 48}}
  %0 = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 64 : i64, N = 128 : i64, block_size = 48 : i64} : (tensor<1x64xf16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<1x128xf16>
  return
}

// -----

func.func @nbits_kn(%a: tensor<1x64xf16>, %b: tensor<128x1x32xui8>, %s: tensor<128xf16>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.MatMulNBits' op K and N must be positive}}
  %0 = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 0 : i64, N = 128 : i64, block_size = 64 : i64} : (tensor<1x64xf16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<1x128xf16>
  return
}

// -----

func.func @nbits_k(%a: tensor<1x32xf16>, %b: tensor<128x1x32xui8>, %s: tensor<128xf16>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.MatMulNBits' op A's last dimension 32 differs from K 64}}
  %0 = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 64 : i64, N = 128 : i64, block_size = 64 : i64} : (tensor<1x32xf16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<1x128xf16>
  return
}

// -----

func.func @nbits_a_rank(%a: tensor<f16>, %b: tensor<128x1x32xui8>, %s: tensor<128xf16>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.MatMulNBits' op A must have rank >= 1}}
  %0 = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 64 : i64, N = 128 : i64, block_size = 64 : i64} : (tensor<f16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<*xf16>
  return
}

// -----

func.func @nbits_missing_attr(%a: tensor<1x64xf16>, %b: tensor<128x1x32xui8>, %s: tensor<128xf16>) {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.ms.MatMulNBits' op requires attribute 'block_size'}}
  %0 = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 64 : i64, N = 128 : i64} : (tensor<1x64xf16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<1x128xf16>
  return
}

// -----

// Constant axes operands give an exact inferred type.
func.func @reduce_constant_axes(%x: tensor<2x3xf32>) {
  %axes = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+2 {{'onnx.ReduceMean' op failed to infer returned types}}
  // expected-error @+1 {{'onnx.ReduceMean' op inferred type(s) 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  %0 = onnx.ReduceMean %x, %axes : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @concat_negative_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'onnx.Concat' op axis -3 out of range for rank 2}}
  %0 = onnx.Concat %a, %a {axis = -3 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @simplified_norm_stats(%x: tensor<2x5x8xf16>, %g: tensor<8xf16>) {
  // expected-error @+2 {{'onnx.ms.SimplifiedLayerNormalization' op failed to infer returned types}}
  // expected-error @+1 {{'onnx.ms.SimplifiedLayerNormalization' op inferred type(s) 'tensor<2x5x8xf16>', 'tensor<2x5x1xf32>' are incompatible}}
  %0:2 = onnx.ms.SimplifiedLayerNormalization %x, %g : (tensor<2x5x8xf16>, tensor<8xf16>) -> (tensor<2x5x8xf16>, tensor<2x5x8xf32>)
  return
}

// -----

func.func @simplified_norm_axis(%x: tensor<2x5x8xf16>, %g: tensor<8xf16>) {
  // expected-error @+1 {{'onnx.ms.SimplifiedLayerNormalization' op axis 3 out of range for rank 3}}
  %0:2 = onnx.ms.SimplifiedLayerNormalization %x, %g {axis = 3 : i64} : (tensor<2x5x8xf16>, tensor<8xf16>) -> (tensor<2x5x8xf16>, none)
  return
}
