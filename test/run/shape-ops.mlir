// Shape-manipulation ops, one function each, run on constants.
// RUN: sieve-run %s | FileCheck %s

// CHECK-LABEL: @slice_negative_step
// CHECK-NEXT: result 0: 2x2xf32 = [7, 5, 3, 1]
func.func @slice_negative_step() -> tensor<2x2xf32> {
  %x = onnx.Constant {value = dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]> : tensor<2x4xf32>} : tensor<2x4xf32>
  %starts = onnx.Constant {value = dense<[-1, 100]> : tensor<2xi64>} : tensor<2xi64>
  %ends = onnx.Constant {value = dense<[-100, 0]> : tensor<2xi64>} : tensor<2xi64>
  %axes = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %steps = onnx.Constant {value = dense<[-1, -2]> : tensor<2xi64>} : tensor<2xi64>
  %y = onnx.Slice %x, %starts, %ends, %axes, %steps : (tensor<2x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// Clamping: ends past the end, starts before the beginning, default steps,
// negative axis.
// CHECK-LABEL: @slice_clamp
// CHECK-NEXT: result 0: 2x3xi64 = [1, 2, 3, 5, 6, 7]
func.func @slice_clamp() -> tensor<2x3xi64> {
  %x = onnx.Constant {value = dense<[[0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<2x4xi64>} : tensor<2x4xi64>
  %starts = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %ends = onnx.Constant {value = dense<[9223372036854775807]> : tensor<1xi64>} : tensor<1xi64>
  %axes = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : tensor<1xi64>
  %none = onnx.NoValue
  %y = onnx.Slice %x, %starts, %ends, %axes, %none : (tensor<2x4xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<2x3xi64>
  return %y : tensor<2x3xi64>
}

// An empty slice (start after end with a positive step).
// CHECK-LABEL: @slice_empty
// CHECK-NEXT: result 0: 0x4xf32 = []
func.func @slice_empty() -> tensor<0x4xf32> {
  %x = onnx.Constant {value = dense<1.0> : tensor<3x4xf32>} : tensor<3x4xf32>
  %starts = onnx.Constant {value = dense<[2]> : tensor<1xi64>} : tensor<1xi64>
  %ends = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %none = onnx.NoValue
  %y = onnx.Slice %x, %starts, %ends, %none, %none : (tensor<3x4xf32>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<0x4xf32>
  return %y : tensor<0x4xf32>
}

// CHECK-LABEL: @reshape_zero_and_infer
// CHECK-NEXT: result 0: 2x3x2xf32 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
func.func @reshape_zero_and_infer() -> tensor<2x3x2xf32> {
  %x = onnx.Constant {value = dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]]> : tensor<2x6xf32>} : tensor<2x6xf32>
  %s = onnx.Constant {value = dense<[0, 3, -1]> : tensor<3xi64>} : tensor<3xi64>
  %y = onnx.Reshape %x, %s : (tensor<2x6xf32>, tensor<3xi64>) -> tensor<2x3x2xf32>
  return %y : tensor<2x3x2xf32>
}

// allowzero = 1: a 0 in the shape is a zero-size dimension.
// CHECK-LABEL: @reshape_allowzero
// CHECK-NEXT: result 0: 0x3xf32 = []
func.func @reshape_allowzero() -> tensor<0x3xf32> {
  %x = onnx.Constant {value = dense<> : tensor<3x0xf32>} : tensor<3x0xf32>
  %s = onnx.Constant {value = dense<[0, 3]> : tensor<2xi64>} : tensor<2xi64>
  %y = onnx.Reshape %x, %s {allowzero = 1 : i64} : (tensor<3x0xf32>, tensor<2xi64>) -> tensor<0x3xf32>
  return %y : tensor<0x3xf32>
}

// CHECK-LABEL: @transpose
// CHECK-NEXT: result 0: 3x2xi64 = [1, 4, 2, 5, 3, 6]
func.func @transpose() -> tensor<3x2xi64> {
  %x = onnx.Constant {value = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>} : tensor<2x3xi64>
  %y = onnx.Transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  return %y : tensor<3x2xi64>
}

// CHECK-LABEL: @concat_neg_axis
// CHECK-NEXT: result 0: 2x3xf32 = [1, 2, 5, 3, 4, 6]
func.func @concat_neg_axis() -> tensor<2x3xf32> {
  %a = onnx.Constant {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2x2xf32>
  %b = onnx.Constant {value = dense<[[5.0], [6.0]]> : tensor<2x1xf32>} : tensor<2x1xf32>
  %y = onnx.Concat %a, %b {axis = -1 : i64} : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// CHECK-LABEL: @gathernd_batch_dims
// CHECK-NEXT: result 0: 2x2xf32 = [2, 3, 4, 5]
func.func @gathernd_batch_dims() -> tensor<2x2xf32> {
  %x = onnx.Constant {value = dense<[[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]> : tensor<2x2x2xf32>} : tensor<2x2x2xf32>
  %i = onnx.Constant {value = dense<[[1], [0]]> : tensor<2x1xi64>} : tensor<2x1xi64>
  %y = onnx.GatherND %x, %i {batch_dims = 1 : i64} : (tensor<2x2x2xf32>, tensor<2x1xi64>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// CHECK-LABEL: @gathernd_tuples
// CHECK-NEXT: result 0: 2xi64 = [1, 2]
func.func @gathernd_tuples() -> tensor<2xi64> {
  %x = onnx.Constant {value = dense<[[0, 1], [2, 3]]> : tensor<2x2xi64>} : tensor<2x2xi64>
  %i = onnx.Constant {value = dense<[[0, 1], [-1, 0]]> : tensor<2x2xi64>} : tensor<2x2xi64>
  %y = onnx.GatherND %x, %i : (tensor<2x2xi64>, tensor<2x2xi64>) -> tensor<2xi64>
  return %y : tensor<2xi64>
}

// CHECK-LABEL: @gather_negative_indices
// CHECK-NEXT: result 0: 2x2xf32 = [2, 1, 4, 3]
func.func @gather_negative_indices() -> tensor<2x2xf32> {
  %x = onnx.Constant {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2x2xf32>
  %i = onnx.Constant {value = dense<[-1, 0]> : tensor<2xi64>} : tensor<2xi64>
  %y = onnx.Gather %x, %i {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2xi64>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// CHECK-LABEL: @expand_bidirectional
// CHECK-NEXT: result 0: 2x3xi64 = [1, 2, 3, 1, 2, 3]
func.func @expand_bidirectional() -> tensor<2x3xi64> {
  %x = onnx.Constant {value = dense<[[1, 2, 3]]> : tensor<1x3xi64>} : tensor<1x3xi64>
  %s = onnx.Constant {value = dense<[2, 1]> : tensor<2xi64>} : tensor<2xi64>
  %y = onnx.Expand %x, %s : (tensor<1x3xi64>, tensor<2xi64>) -> tensor<2x3xi64>
  return %y : tensor<2x3xi64>
}

// CHECK-LABEL: @unsqueeze_squeeze_shape
// CHECK-NEXT: result 0: 4xi64 = [2, 1, 3, 1]
// CHECK-NEXT: result 1: 2xi64 = [2, 3]
// CHECK-NEXT: result 2: 2xi64 = [1, 3]
func.func @unsqueeze_squeeze_shape() -> (tensor<4xi64>, tensor<2xi64>, tensor<2xi64>) {
  %x = onnx.Constant {value = dense<1.0> : tensor<2x3xf32>} : tensor<2x3xf32>
  %a = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %u = onnx.Unsqueeze %x, %a : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x1x3x1xf32>
  %s0 = onnx.Shape %u : (tensor<2x1x3x1xf32>) -> tensor<4xi64>
  %none = onnx.NoValue
  %q = onnx.Squeeze %u, %none : (tensor<2x1x3x1xf32>, none) -> tensor<2x3xf32>
  %s1 = onnx.Shape %q : (tensor<2x3xf32>) -> tensor<2xi64>
  %s2 = onnx.Shape %u {start = -3 : i64, end = -1 : i64} : (tensor<2x1x3x1xf32>) -> tensor<2xi64>
  return %s0, %s1, %s2 : tensor<4xi64>, tensor<2xi64>, tensor<2xi64>
}

// CHECK-LABEL: @split_num_outputs
// CHECK-NEXT: result 0: 2xf32 = [1, 2]
// CHECK-NEXT: result 1: 2xf32 = [3, 4]
// CHECK-NEXT: result 2: 1xf32 = [5]
func.func @split_num_outputs() -> (tensor<2xf32>, tensor<2xf32>, tensor<1xf32>) {
  %x = onnx.Constant {value = dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>} : tensor<5xf32>
  %none = onnx.NoValue
  %a, %b, %c = onnx.Split %x, %none {num_outputs = 3 : i64} : (tensor<5xf32>, none) -> (tensor<2xf32>, tensor<2xf32>, tensor<1xf32>)
  return %a, %b, %c : tensor<2xf32>, tensor<2xf32>, tensor<1xf32>
}

// CHECK-LABEL: @range_and_constant_of_shape
// CHECK-NEXT: result 0: 3xi64 = [10, 7, 4]
// CHECK-NEXT: result 1: 2x2xf32 = [0.5, 0.5, 0.5, 0.5]
func.func @range_and_constant_of_shape() -> (tensor<3xi64>, tensor<2x2xf32>) {
  %s = onnx.Constant {value = dense<10> : tensor<i64>} : tensor<i64>
  %l = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %d = onnx.Constant {value = dense<-3> : tensor<i64>} : tensor<i64>
  %r = onnx.Range %s, %l, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %shape = onnx.Constant {value = dense<[2, 2]> : tensor<2xi64>} : tensor<2xi64>
  %c = onnx.ConstantOfShape %shape {value = dense<0.5> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<2x2xf32>
  return %r, %c : tensor<3xi64>, tensor<2x2xf32>
}

// CHECK-LABEL: @trilu_lower
// CHECK-NEXT: result 0: 3x3xi64 = [1, 2, 0, 4, 5, 6, 7, 8, 9]
func.func @trilu_lower() -> tensor<3x3xi64> {
  %x = onnx.Constant {value = dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9]]> : tensor<3x3xi64>} : tensor<3x3xi64>
  %k = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %y = onnx.Trilu %x, %k {upper = 0 : i64} : (tensor<3x3xi64>, tensor<i64>) -> tensor<3x3xi64>
  return %y : tensor<3x3xi64>
}
