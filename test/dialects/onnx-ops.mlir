// RUN: sieve-opt %s | sieve-opt | FileCheck %s
// Round trip of a representative op of each class of the onnx dialect. The
// verifiers (and inferred-type checks) run on both parses.

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<2x3xf32>, %u: tensor<*xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<*xf32>, tensor<2x3xi1>) {
  // CHECK: onnx.Abs %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %0 = onnx.Abs %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: onnx.IsNaN %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  %1 = onnx.IsNaN %x : (tensor<2x3xf32>) -> tensor<2x3xi1>
  // CHECK: onnx.Gelu %{{.*}} {approximate = "tanh"}
  %2 = onnx.Gelu %0 {approximate = "tanh"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: onnx.Tanh %{{.*}} : (tensor<*xf32>) -> tensor<*xf32>
  %3 = onnx.Tanh %u : (tensor<*xf32>) -> tensor<*xf32>
  // CHECK: onnx.IsInf %{{.*}} {detect_negative = 0 : i64}
  %4 = onnx.IsInf %x {detect_negative = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<*xf32>, tensor<2x3xi1>
}

// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<4xf16>, %lo: tensor<f16>) -> (tensor<4xf16>, tensor<4xf16>, tensor<4xf16>) {
  %none = onnx.NoValue
  // CHECK: onnx.LeakyRelu %{{.*}} {alpha = 1.000000e-01 : f32}
  %0 = onnx.LeakyRelu %x {alpha = 0.1 : f32} : (tensor<4xf16>) -> tensor<4xf16>
  // CHECK: onnx.HardSigmoid
  %1 = onnx.HardSigmoid %0 : (tensor<4xf16>) -> tensor<4xf16>
  // CHECK: onnx.Clip %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4xf16>, tensor<f16>, none) -> tensor<4xf16>
  %2 = onnx.Clip %1, %lo, %none : (tensor<4xf16>, tensor<f16>, none) -> tensor<4xf16>
  return %0, %1, %2 : tensor<4xf16>, tensor<4xf16>, tensor<4xf16>
}

// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %d: tensor<?x4xf32>, %i: tensor<5xi64>) -> (tensor<2x3x4xf32>, tensor<2x?x4xf32>, tensor<?x4xf32>, tensor<5xi64>) {
  // CHECK: onnx.Add %{{.*}}, %{{.*}} : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %0 = onnx.Add %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // A declared dynamic size is compatible with an inferred static one.
  // CHECK: onnx.Sub %{{.*}}, %{{.*}} : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x?x4xf32>
  %1 = onnx.Sub %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x?x4xf32>
  // CHECK: onnx.Mul %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = onnx.Mul %d, %d : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK: onnx.Mod %{{.*}}, %{{.*}} : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  %3 = onnx.Mod %i, %i : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  return %0, %1, %2, %3 : tensor<2x3x4xf32>, tensor<2x?x4xf32>, tensor<?x4xf32>, tensor<5xi64>
}

// CHECK-LABEL: func.func @pow_mixed
func.func @pow_mixed(%x: tensor<2x3xf16>, %y: tensor<f32>) -> tensor<2x3xf16> {
  // CHECK: onnx.Pow %{{.*}}, %{{.*}} : (tensor<2x3xf16>, tensor<f32>) -> tensor<2x3xf16>
  %0 = onnx.Pow %x, %y : (tensor<2x3xf16>, tensor<f32>) -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// CHECK-LABEL: func.func @comparison
func.func @comparison(%a: tensor<4x1xi64>, %b: tensor<4xi64>, %x: tensor<4x4xf32>) -> (tensor<4x4xi1>, tensor<4x4xf32>) {
  // CHECK: onnx.LessOrEqual %{{.*}}, %{{.*}} : (tensor<4x1xi64>, tensor<4xi64>) -> tensor<4x4xi1>
  %0 = onnx.LessOrEqual %a, %b : (tensor<4x1xi64>, tensor<4xi64>) -> tensor<4x4xi1>
  // CHECK: onnx.Equal
  %1 = onnx.Equal %a, %b : (tensor<4x1xi64>, tensor<4xi64>) -> tensor<4x4xi1>
  // CHECK: onnx.And %{{.*}}, %{{.*}} : (tensor<4x4xi1>, tensor<4x4xi1>) -> tensor<4x4xi1>
  %2 = onnx.And %0, %1 : (tensor<4x4xi1>, tensor<4x4xi1>) -> tensor<4x4xi1>
  // CHECK: onnx.Not
  %3 = onnx.Not %2 : (tensor<4x4xi1>) -> tensor<4x4xi1>
  // CHECK: onnx.Where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %c = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %4 = onnx.Where %3, %x, %c : (tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  return %3, %4 : tensor<4x4xi1>, tensor<4x4xf32>
}

// CHECK-LABEL: func.func @variadic
func.func @variadic(%a: tensor<3xf32>, %b: tensor<2x1xf32>, %c: tensor<f32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
  // CHECK: onnx.Sum %{{.*}}, %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<2x1xf32>, tensor<f32>) -> tensor<2x3xf32>
  %0 = onnx.Sum %a, %b, %c : (tensor<3xf32>, tensor<2x1xf32>, tensor<f32>) -> tensor<2x3xf32>
  // CHECK: onnx.Max %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %1 = onnx.Max %a : (tensor<3xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<2x3x4xf32>, %axes: tensor<1xi64>) -> (tensor<2x3x1xf32>, tensor<2x4xf32>, tensor<f32>, tensor<2x3x1xf32>, tensor<2x1x4xi64>) {
  %none = onnx.NoValue
  // Opset 18: axes as an operand.
  // CHECK: onnx.ReduceMean %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
  %0 = onnx.ReduceMean %x, %axes {keepdims = 1 : i64, noop_with_empty_axes = 0 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
  // Opset 13: axes as an attribute.
  // CHECK: onnx.ReduceSum %{{.*}}, %{{.*}} {axes = array<i64: -2>, keepdims = 0 : i64} : (tensor<2x3x4xf32>, none) -> tensor<2x4xf32>
  %1 = onnx.ReduceSum %x, %none {axes = array<i64: -2>, keepdims = 0 : i64} : (tensor<2x3x4xf32>, none) -> tensor<2x4xf32>
  // No axes: reduce everything.
  // CHECK: onnx.ReduceMax %{{.*}}, %{{.*}} {keepdims = 0 : i64} : (tensor<2x3x4xf32>, none) -> tensor<f32>
  %2 = onnx.ReduceMax %x, %none {keepdims = 0 : i64} : (tensor<2x3x4xf32>, none) -> tensor<f32>
  // CHECK: onnx.ReduceL2
  %3 = onnx.ReduceL2 %x, %none {axes = array<i64: 2>} : (tensor<2x3x4xf32>, none) -> tensor<2x3x1xf32>
  // CHECK: onnx.ArgMax %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  %4 = onnx.ArgMax %x {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  return %0, %1, %2, %3, %4 : tensor<2x3x1xf32>, tensor<2x4xf32>, tensor<f32>, tensor<2x3x1xf32>, tensor<2x1x4xi64>
}

// CHECK-LABEL: func.func @scan_softmax_topk
func.func @scan_softmax_topk(%x: tensor<2x8xf32>, %axis: tensor<i64>, %k: tensor<1xi64>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x?xf32>, tensor<2x?xi64>) {
  // CHECK: onnx.CumSum %{{.*}}, %{{.*}} {exclusive = 1 : i64} :
  %0 = onnx.CumSum %x, %axis {exclusive = 1 : i64, reverse = 0 : i64} : (tensor<2x8xf32>, tensor<i64>) -> tensor<2x8xf32>
  // CHECK: onnx.Softmax %{{.*}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = onnx.Softmax %x {axis = -1 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  // CHECK: onnx.TopK %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x8xf32>, tensor<1xi64>) -> (tensor<2x?xf32>, tensor<2x?xi64>)
  %2:2 = onnx.TopK %x, %k {axis = 1 : i64} : (tensor<2x8xf32>, tensor<1xi64>) -> (tensor<2x?xf32>, tensor<2x?xi64>)
  return %0, %1, %2#0, %2#1 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x?xf32>, tensor<2x?xi64>
}

// CHECK-LABEL: func.func @linalg
func.func @linalg(%a: tensor<2x4x8xf32>, %b: tensor<8x16xf32>, %m: tensor<8x4xf32>, %n: tensor<16x8xf32>, %c: tensor<16xf32>) -> (tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<2x4x16xf32>) {
  // CHECK: onnx.MatMul %{{.*}}, %{{.*}} : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  %0 = onnx.MatMul %a, %b : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  // CHECK: onnx.Gemm %{{.*}}, %{{.*}}, %{{.*}} {transA = 1 : i64, transB = 1 : i64} : (tensor<8x4xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %1 = onnx.Gemm %m, %n, %c {transA = 1 : i64, transB = 1 : i64} : (tensor<8x4xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  // CHECK: onnx.Einsum %{{.*}}, %{{.*}} {equation = "bij,jk->bik"}
  %2 = onnx.Einsum %a, %b {equation = "bij,jk->bik"} : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  return %0, %1, %2 : tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<2x4x16xf32>
}

// CHECK-LABEL: func.func @casts
func.func @casts(%x: tensor<3xf32>, %t: tensor<1xf16>) -> (tensor<3xi64>, tensor<3xf16>) {
  // CHECK: onnx.Cast %{{.*}} {to = i64} : (tensor<3xf32>) -> tensor<3xi64>
  %0 = onnx.Cast %x {to = i64} : (tensor<3xf32>) -> tensor<3xi64>
  // CHECK: onnx.CastLike %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<1xf16>) -> tensor<3xf16>
  %1 = onnx.CastLike %x, %t : (tensor<3xf32>, tensor<1xf16>) -> tensor<3xf16>
  return %0, %1 : tensor<3xi64>, tensor<3xf16>
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<2x3x4xf32>, %s: tensor<2xi64>) -> (tensor<2xi64>, tensor<i64>, tensor<?x?xf32>, tensor<6x4xf32>, tensor<4x2x3xf32>, tensor<4x3x2xf32>, tensor<2x12xf32>) {
  // CHECK: onnx.Shape %{{.*}} {end = -1 : i64, start = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<1xi64>
  %0 = onnx.Shape %x {start = 1 : i64, end = -1 : i64} : (tensor<2x3x4xf32>) -> tensor<1xi64>
  %1 = onnx.Shape %x {start = -2 : i64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  // CHECK: onnx.Size %{{.*}} : (tensor<2x3x4xf32>) -> tensor<i64>
  %2 = onnx.Size %x : (tensor<2x3x4xf32>) -> tensor<i64>
  // CHECK: onnx.ConstantOfShape %{{.*}} {value = dense<1.000000e+00> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %3 = onnx.ConstantOfShape %s {value = dense<1.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  // CHECK: onnx.Reshape %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %4 = onnx.Reshape %x, %s {allowzero = 0 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  // CHECK: onnx.Transpose %{{.*}} {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %5 = onnx.Transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  // CHECK: onnx.Transpose %{{.*}} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  %6 = onnx.Transpose %x : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  // CHECK: onnx.Flatten %{{.*}} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %7 = onnx.Flatten %x {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  return %1, %2, %3, %4, %5, %6, %7 : tensor<2xi64>, tensor<i64>, tensor<?x?xf32>, tensor<6x4xf32>, tensor<4x2x3xf32>, tensor<4x3x2xf32>, tensor<2x12xf32>
}

// CHECK-LABEL: func.func @value_shaped
func.func @value_shaped(%x: tensor<2x3xf32>, %i1: tensor<1xi64>, %i2: tensor<2xi64>, %i0: tensor<i64>) -> (tensor<2x?xf32>, tensor<1x2x3xf32>, tensor<2x3xf32>, tensor<4x6xf32>, tensor<?xi64>, tensor<?x?xf32>) {
  %none = onnx.NoValue
  // CHECK: onnx.Slice %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<2x?xf32>
  %0 = onnx.Slice %x, %i1, %i1, %i1, %none : (tensor<2x3xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<2x?xf32>
  // CHECK: onnx.Unsqueeze %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<1x2x3xf32>
  %1 = onnx.Unsqueeze %x, %i1 : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<1x2x3xf32>
  // CHECK: onnx.Squeeze %{{.*}}, %{{.*}} : (tensor<1x2x3xf32>, none) -> tensor<2x3xf32>
  %2 = onnx.Squeeze %1, %none : (tensor<1x2x3xf32>, none) -> tensor<2x3xf32>
  // CHECK: onnx.Tile %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  %3 = onnx.Tile %x, %i2 : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  // CHECK: onnx.Range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %4 = onnx.Range %i0, %i0, %i0 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  // CHECK: onnx.Expand %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %5 = onnx.Expand %x, %i2 : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<2x?xf32>, tensor<1x2x3xf32>, tensor<2x3xf32>, tensor<4x6xf32>, tensor<?xi64>, tensor<?x?xf32>
}

// CHECK-LABEL: func.func @split
func.func @split(%x: tensor<6x4xf32>, %s: tensor<2xi64>) -> (tensor<2x4xf32>, tensor<4x4xf32>, tensor<2x4xf32>) {
  %none = onnx.NoValue
  // CHECK: onnx.Split %{{.*}}, %{{.*}} : (tensor<6x4xf32>, tensor<2xi64>) -> (tensor<2x4xf32>, tensor<4x4xf32>)
  %0:2 = onnx.Split %x, %s {axis = 0 : i64} : (tensor<6x4xf32>, tensor<2xi64>) -> (tensor<2x4xf32>, tensor<4x4xf32>)
  // CHECK: onnx.Split %{{.*}}, %{{.*}} {num_outputs = 3 : i64} : (tensor<6x4xf32>, none) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>)
  %1:3 = onnx.Split %x, %none {num_outputs = 3 : i64} : (tensor<6x4xf32>, none) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>)
  return %0#0, %0#1, %1#2 : tensor<2x4xf32>, tensor<4x4xf32>, tensor<2x4xf32>
}

// CHECK-LABEL: func.func @gather_scatter
func.func @gather_scatter(%d: tensor<5x4x3xf32>, %i: tensor<2x6xi64>, %e: tensor<5x4x1xi64>, %n: tensor<7x2xi64>, %u: tensor<7x3xf32>) -> (tensor<5x2x6x3xf32>, tensor<5x4x1xf32>, tensor<7x3xf32>, tensor<5x4x3xf32>) {
  // CHECK: onnx.Gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<5x4x3xf32>, tensor<2x6xi64>) -> tensor<5x2x6x3xf32>
  %0 = onnx.Gather %d, %i {axis = 1 : i64} : (tensor<5x4x3xf32>, tensor<2x6xi64>) -> tensor<5x2x6x3xf32>
  // CHECK: onnx.GatherElements %{{.*}}, %{{.*}} {axis = 2 : i64}
  %1 = onnx.GatherElements %d, %e {axis = 2 : i64} : (tensor<5x4x3xf32>, tensor<5x4x1xi64>) -> tensor<5x4x1xf32>
  // CHECK: onnx.GatherND %{{.*}}, %{{.*}} : (tensor<5x4x3xf32>, tensor<7x2xi64>) -> tensor<7x3xf32>
  %2 = onnx.GatherND %d, %n {batch_dims = 0 : i64} : (tensor<5x4x3xf32>, tensor<7x2xi64>) -> tensor<7x3xf32>
  // CHECK: onnx.ScatterND %{{.*}}, %{{.*}}, %{{.*}} {reduction = "add"}
  %3 = onnx.ScatterND %d, %n, %u {reduction = "add"} : (tensor<5x4x3xf32>, tensor<7x2xi64>, tensor<7x3xf32>) -> tensor<5x4x3xf32>
  return %0, %1, %2, %3 : tensor<5x2x6x3xf32>, tensor<5x4x1xf32>, tensor<7x3xf32>, tensor<5x4x3xf32>
}

// CHECK-LABEL: func.func @trilu_dropout
func.func @trilu_dropout(%x: tensor<4x4xf32>, %k: tensor<i64>) -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xi1>) {
  %none = onnx.NoValue
  // CHECK: onnx.Trilu %{{.*}}, %{{.*}} {upper = 0 : i64} : (tensor<4x4xf32>, tensor<i64>) -> tensor<4x4xf32>
  %0 = onnx.Trilu %x, %k {upper = 0 : i64} : (tensor<4x4xf32>, tensor<i64>) -> tensor<4x4xf32>
  // CHECK: onnx.Dropout %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x4xf32>, none, none) -> (tensor<4x4xf32>, tensor<4x4xi1>)
  %1:2 = onnx.Dropout %x, %none, %none : (tensor<4x4xf32>, none, none) -> (tensor<4x4xf32>, tensor<4x4xi1>)
  return %0, %1#0, %1#1 : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xi1>
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<2x5x8xf16>, %g: tensor<8xf16>) -> (tensor<2x5x8xf16>, tensor<2x5x1xf32>, tensor<2x5x8xf16>, tensor<2x5x8xf16>) {
  %none = onnx.NoValue
  // CHECK: onnx.LayerNormalization %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<2x5x8xf16>, tensor<8xf16>, none) -> (tensor<2x5x8xf16>, tensor<2x5x1xf32>, none)
  %0:3 = onnx.LayerNormalization %x, %g, %none {epsilon = 1.0e-6 : f32} : (tensor<2x5x8xf16>, tensor<8xf16>, none) -> (tensor<2x5x8xf16>, tensor<2x5x1xf32>, none)
  // CHECK: onnx.RMSNormalization %{{.*}}, %{{.*}} : (tensor<2x5x8xf16>, tensor<8xf16>) -> tensor<2x5x8xf16>
  %1 = onnx.RMSNormalization %x, %g {axis = -1 : i64} : (tensor<2x5x8xf16>, tensor<8xf16>) -> tensor<2x5x8xf16>
  // CHECK: onnx.ms.SimplifiedLayerNormalization %{{.*}}, %{{.*}} : (tensor<2x5x8xf16>, tensor<8xf16>) -> (tensor<2x5x8xf16>, none)
  %2:2 = onnx.ms.SimplifiedLayerNormalization %x, %g : (tensor<2x5x8xf16>, tensor<8xf16>) -> (tensor<2x5x8xf16>, none)
  // CHECK: onnx.ms.SimplifiedLayerNormalization %{{.*}}, %{{.*}} : (tensor<2x5x8xf16>, tensor<8xf16>) -> (tensor<2x5x8xf16>, tensor<2x5x1xf32>)
  %3:2 = onnx.ms.SimplifiedLayerNormalization %x, %g : (tensor<2x5x8xf16>, tensor<8xf16>) -> (tensor<2x5x8xf16>, tensor<2x5x1xf32>)
  return %0#0, %0#1, %1, %2#0 : tensor<2x5x8xf16>, tensor<2x5x1xf32>, tensor<2x5x8xf16>, tensor<2x5x8xf16>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<1x8x5x16xf32>, %k: tensor<1x2x5x16xf32>, %pk: tensor<1x2x3x16xf32>, %x3: tensor<1x5x128xf32>, %cos: tensor<1x5x8xf32>) -> (tensor<1x8x5x16xf32>, tensor<1x2x8x16xf32>, tensor<1x5x128xf32>) {
  %none = onnx.NoValue
  // CHECK: onnx.Attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {is_causal = 1 : i64} : (tensor<1x8x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, none, tensor<1x2x3x16xf32>, tensor<1x2x3x16xf32>) -> (tensor<1x8x5x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  %0:4 = onnx.Attention %q, %k, %k, %none, %pk, %pk {is_causal = 1 : i64} : (tensor<1x8x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, none, tensor<1x2x3x16xf32>, tensor<1x2x3x16xf32>) -> (tensor<1x8x5x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, none)
  // CHECK: onnx.RotaryEmbedding %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 8 : i64} : (tensor<1x5x128xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32>, none) -> tensor<1x5x128xf32>
  %1 = onnx.RotaryEmbedding %x3, %cos, %cos, %none {num_heads = 8 : i64} : (tensor<1x5x128xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32>, none) -> tensor<1x5x128xf32>
  return %0#0, %0#1, %1 : tensor<1x8x5x16xf32>, tensor<1x2x8x16xf32>, tensor<1x5x128xf32>
}

// CHECK-LABEL: func.func @microsoft
func.func @microsoft(%x: tensor<1x5x64xf16>, %g: tensor<64xf16>, %pos: tensor<1x5xi64>, %cache: tensor<32x16xf16>, %b: tensor<128x1x32xui8>, %s: tensor<128xf16>, %seqlens: tensor<1xi32>, %total: tensor<i32>, %kv: tensor<1x5x32xf16>, %past: tensor<1x2x8x16xf16>) -> (tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<1x5x128xf16>, tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<1x5x64xf16>) {
  %none = onnx.NoValue
  // CHECK: onnx.ms.SkipSimplifiedLayerNormalization %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<64xf16>, none) -> (tensor<1x5x64xf16>, none, none, tensor<1x5x64xf16>)
  %0:4 = onnx.ms.SkipSimplifiedLayerNormalization %x, %x, %g, %none {epsilon = 1.0e-6 : f32} : (tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<64xf16>, none) -> (tensor<1x5x64xf16>, none, none, tensor<1x5x64xf16>)
  // CHECK: onnx.ms.SkipLayerNormalization
  %1:4 = onnx.ms.SkipLayerNormalization %x, %x, %g, %g, %none : (tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<64xf16>, tensor<64xf16>, none) -> (tensor<1x5x64xf16>, none, none, none)
  // CHECK: onnx.ms.RotaryEmbedding %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 4 : i64}
  %2 = onnx.ms.RotaryEmbedding %x, %pos, %cache, %cache {num_heads = 4 : i64} : (tensor<1x5x64xf16>, tensor<1x5xi64>, tensor<32x16xf16>, tensor<32x16xf16>) -> tensor<1x5x64xf16>
  // CHECK: onnx.ms.MatMulNBits %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {K = 64 : i64, N = 128 : i64, block_size = 64 : i64} : (tensor<1x5x64xf16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<1x5x128xf16>
  %3 = onnx.ms.MatMulNBits %x, %b, %s, %none, %none, %none {K = 64 : i64, N = 128 : i64, block_size = 64 : i64} : (tensor<1x5x64xf16>, tensor<128x1x32xui8>, tensor<128xf16>, none, none, none) -> tensor<1x5x128xf16>
  // CHECK: onnx.ms.GroupQueryAttention {{.*}} {kv_num_heads = 2 : i64, num_heads = 4 : i64}
  %4:4 = onnx.ms.GroupQueryAttention %x, %kv, %kv, %past, %past, %seqlens, %total, %none, %none, %none, %none, %none {kv_num_heads = 2 : i64, num_heads = 4 : i64} : (tensor<1x5x64xf16>, tensor<1x5x32xf16>, tensor<1x5x32xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x5x64xf16>, tensor<1x2x?x16xf16>, tensor<1x2x?x16xf16>, none)
  // CHECK: onnx.ms.FastGelu %{{.*}}, %{{.*}} : (tensor<1x5x64xf16>, tensor<64xf16>) -> tensor<1x5x64xf16>
  %5 = onnx.ms.FastGelu %x, %g : (tensor<1x5x64xf16>, tensor<64xf16>) -> tensor<1x5x64xf16>
  // CHECK: onnx.ms.QuickGelu %{{.*}} {alpha = 1.000000e+00 : f32}
  %6 = onnx.ms.QuickGelu %x {alpha = 1.0 : f32} : (tensor<1x5x64xf16>) -> tensor<1x5x64xf16>
  return %0#0, %1#0, %2, %3, %4#0, %5, %6 : tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<1x5x128xf16>, tensor<1x5x64xf16>, tensor<1x5x64xf16>, tensor<1x5x64xf16>
}

// CHECK-LABEL: func.func @unranked
func.func @unranked(%x: tensor<*xf32>, %i: tensor<*xi64>) -> (tensor<*xf32>, tensor<*xi1>, tensor<*xf32>, tensor<?xi64>, tensor<*xf32>, tensor<?x?xf32>) {
  %none = onnx.NoValue
  // CHECK: onnx.Add %{{.*}}, %{{.*}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %0 = onnx.Add %x, %x : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  // CHECK: onnx.Less
  %1 = onnx.Less %x, %x : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xi1>
  // CHECK: onnx.ReduceMean
  %2 = onnx.ReduceMean %x, %i : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  // CHECK: onnx.Shape
  %3 = onnx.Shape %x : (tensor<*xf32>) -> tensor<?xi64>
  // CHECK: onnx.Gather
  %4 = onnx.Gather %x, %i {axis = 5 : i64} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  // CHECK: onnx.Transpose
  %5 = onnx.Transpose %x {perm = array<i64: 1, 0>} : (tensor<*xf32>) -> tensor<?x?xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<*xf32>, tensor<*xi1>, tensor<*xf32>, tensor<?xi64>, tensor<*xf32>, tensor<?x?xf32>
}

// CHECK-LABEL: func.func @every_simple_op
func.func @every_simple_op(%x: tensor<3xf32>, %b: tensor<3xi1>, %i: tensor<3xi32>) {
  %none = onnx.NoValue
  // CHECK: onnx.Ceil %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %0 = onnx.Ceil %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Cos %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %1 = onnx.Cos %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Elu %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %2 = onnx.Elu %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Erf %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %3 = onnx.Erf %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Exp %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %4 = onnx.Exp %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Floor %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %5 = onnx.Floor %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.HardSigmoid %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %6 = onnx.HardSigmoid %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Identity %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %7 = onnx.Identity %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.LeakyRelu %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %8 = onnx.LeakyRelu %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Log %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %9 = onnx.Log %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Neg %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %10 = onnx.Neg %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Reciprocal %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %11 = onnx.Reciprocal %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Relu %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %12 = onnx.Relu %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Round %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %13 = onnx.Round %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Sigmoid %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %14 = onnx.Sigmoid %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Sign %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %15 = onnx.Sign %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Sin %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %16 = onnx.Sin %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Softplus %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %17 = onnx.Softplus %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Sqrt %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %18 = onnx.Sqrt %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Tanh %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %19 = onnx.Tanh %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Div %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %20 = onnx.Div %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Mul %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %21 = onnx.Mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Sub %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %22 = onnx.Sub %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Pow %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %23 = onnx.Pow %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.BitwiseAnd
  %24 = onnx.BitwiseAnd %i, %i : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  // CHECK: onnx.Greater %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %25 = onnx.Greater %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  // CHECK: onnx.GreaterOrEqual %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %26 = onnx.GreaterOrEqual %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  // CHECK: onnx.Less %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %27 = onnx.Less %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  // CHECK: onnx.LessOrEqual %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %28 = onnx.LessOrEqual %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  // CHECK: onnx.Equal %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %29 = onnx.Equal %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  // CHECK: onnx.Or %{{.*}}, %{{.*}} : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %30 = onnx.Or %b, %b : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  // CHECK: onnx.Xor %{{.*}}, %{{.*}} : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %31 = onnx.Xor %b, %b : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  // CHECK: onnx.Min %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %32 = onnx.Min %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Mean %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %33 = onnx.Mean %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.ReduceMin %{{.*}}, %{{.*}} {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  %34 = onnx.ReduceMin %x, %none {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  // CHECK: onnx.ReduceProd %{{.*}}, %{{.*}} {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  %35 = onnx.ReduceProd %x, %none {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  // CHECK: onnx.Softsign %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %36 = onnx.Softsign %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Tan %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %37 = onnx.Tan %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.Atan %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %38 = onnx.Atan %x : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.ReduceL1 %{{.*}}, %{{.*}} {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  %39 = onnx.ReduceL1 %x, %none {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  // CHECK: onnx.ReduceSumSquare %{{.*}}, %{{.*}} {axes = array<i64: 0>} : (tensor<3xf32>, none) -> tensor<1xf32>
  %40 = onnx.ReduceSumSquare %x, %none {axes = array<i64: 0>} : (tensor<3xf32>, none) -> tensor<1xf32>
  // CHECK: onnx.ReduceLogSumExp %{{.*}}, %{{.*}} {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  %41 = onnx.ReduceLogSumExp %x, %none {keepdims = 0 : i64} : (tensor<3xf32>, none) -> tensor<f32>
  // CHECK: onnx.LogSoftmax %{{.*}} {axis = 0 : i64} : (tensor<3xf32>) -> tensor<3xf32>
  %42 = onnx.LogSoftmax %x {axis = 0 : i64} : (tensor<3xf32>) -> tensor<3xf32>
  // CHECK: onnx.LogSoftmax %{{.*}} : (tensor<3xf32>) -> tensor<3xf32>
  %43 = onnx.LogSoftmax %x : (tensor<3xf32>) -> tensor<3xf32>
  return
}
