// Arithmetic, comparison, reduction and type ops, run on constants.
// RUN: sieve-run %s | FileCheck %s

// CHECK-LABEL: @cumsum_exclusive_reverse
// CHECK-NEXT: result 0: 2x3xf32 = [5, 3, 0, 11, 6, 0]
// CHECK-NEXT: result 1: 2x3xi64 = [1, 2, 3, 5, 7, 9]
func.func @cumsum_exclusive_reverse() -> (tensor<2x3xf32>, tensor<2x3xi64>) {
  %x = onnx.Constant {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : tensor<2x3xf32>
  %axis = onnx.Constant {value = dense<-1> : tensor<i64>} : tensor<i64>
  %y = onnx.CumSum %x, %axis {exclusive = 1 : i64, reverse = 1 : i64} : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  %xi = onnx.Constant {value = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>} : tensor<2x3xi64>
  %a0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %z = onnx.CumSum %xi, %a0 : (tensor<2x3xi64>, tensor<i64>) -> tensor<2x3xi64>
  return %y, %z : tensor<2x3xf32>, tensor<2x3xi64>
}

// CHECK-LABEL: @broadcast_arith
// CHECK-NEXT: result 0: 2x3xf32 = [11, 21, 31, 12, 22, 32]
// CHECK-NEXT: result 1: 2x3xf32 = [1, 4, 9, 2, 8, 18]
// CHECK-NEXT: result 2: 2xi64 = [-3, 3]
func.func @broadcast_arith() -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xi64>) {
  %a = onnx.Constant {value = dense<[[1.0], [2.0]]> : tensor<2x1xf32>} : tensor<2x1xf32>
  %b = onnx.Constant {value = dense<[10.0, 20.0, 30.0]> : tensor<3xf32>} : tensor<3xf32>
  %s = onnx.Add %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %e = onnx.Constant {value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>} : tensor<3xf32>
  %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
  %p = onnx.Pow %e, %two : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %m = onnx.Mul %a, %p : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %n = onnx.Constant {value = dense<[-7, 7]> : tensor<2xi64>} : tensor<2xi64>
  %d = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %q = onnx.Div %n, %d : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %s, %m, %q : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xi64>
}

// CHECK-LABEL: @where_isnan_compare
// CHECK-NEXT: result 0: 4xf32 = [0, 2, 0, -inf]
// CHECK-NEXT: result 1: 4xi1 = [true, true, false, false]
func.func @where_isnan_compare() -> (tensor<4xf32>, tensor<4xi1>) {
  %x = onnx.Constant {value = dense<[0x7FC00000, 2.0, 0x7FC00000, 0xFF800000]> : tensor<4xf32>} : tensor<4xf32>
  %nan = onnx.IsNaN %x : (tensor<4xf32>) -> tensor<4xi1>
  %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %y = onnx.Where %nan, %zero, %x : (tensor<4xi1>, tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %i = onnx.Constant {value = dense<[1, 2, 3, 4]> : tensor<4xi64>} : tensor<4xi64>
  %two = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %le = onnx.LessOrEqual %i, %two : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  return %y, %le : tensor<4xf32>, tensor<4xi1>
}

// CHECK-LABEL: @logic
// CHECK-NEXT: result 0: 4xi1 = [false, false, false, true]
// CHECK-NEXT: result 1: 4xi1 = [true, true, true, false]
func.func @logic() -> (tensor<4xi1>, tensor<4xi1>) {
  %a = onnx.Constant {value = dense<[false, false, true, true]> : tensor<4xi1>} : tensor<4xi1>
  %b = onnx.Constant {value = dense<[false, true, false, true]> : tensor<4xi1>} : tensor<4xi1>
  %and = onnx.And %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %not = onnx.Not %and : (tensor<4xi1>) -> tensor<4xi1>
  return %and, %not : tensor<4xi1>, tensor<4xi1>
}

// Softmax along axis 0 (not the last one), and ReduceMean with keepdims.
// CHECK-LABEL: @softmax_reduce
// CHECK-NEXT: result 0: 2x2xf32 = [0.2689414, 0.5, 0.7310586, 0.5]
// CHECK-NEXT: result 1: 2x1xf32 = [1.5, 3.5]
// CHECK-NEXT: result 2: 2xf32 = [4, 6]
func.func @softmax_reduce() -> (tensor<2x2xf32>, tensor<2x1xf32>, tensor<2xf32>) {
  %x = onnx.Constant {value = dense<[[1.0, 2.0], [2.0, 2.0]]> : tensor<2x2xf32>} : tensor<2x2xf32>
  %s = onnx.Softmax %x {axis = 0 : i64} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = onnx.Constant {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2x2xf32>
  %axes = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : tensor<1xi64>
  %m = onnx.ReduceMean %y, %axes : (tensor<2x2xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %a0 = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %r = onnx.ReduceSum %y, %a0 {keepdims = 0 : i64} : (tensor<2x2xf32>, tensor<1xi64>) -> tensor<2xf32>
  return %s, %m, %r : tensor<2x2xf32>, tensor<2x1xf32>, tensor<2xf32>
}

// numpy MatMul: a 1-D left operand and broadcast batch dimensions.
// CHECK-LABEL: @matmul_numpy
// CHECK-NEXT: result 0: 2xf32 = [4, 6]
// CHECK-NEXT: result 1: 2x1x2xf32 = [1, 2, 6, 8]
func.func @matmul_numpy() -> (tensor<2xf32>, tensor<2x1x2xf32>) {
  %v = onnx.Constant {value = dense<[1.0, 1.0]> : tensor<2xf32>} : tensor<2xf32>
  %m = onnx.Constant {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2x2xf32>
  %y = onnx.MatMul %v, %m : (tensor<2xf32>, tensor<2x2xf32>) -> tensor<2xf32>
  %a = onnx.Constant {value = dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>} : tensor<2x1x1xf32>
  %b = onnx.Constant {value = dense<[[[1.0, 2.0]], [[3.0, 4.0]]]> : tensor<2x1x2xf32>} : tensor<2x1x2xf32>
  %z = onnx.MatMul %a, %b : (tensor<2x1x1xf32>, tensor<2x1x2xf32>) -> tensor<2x1x2xf32>
  return %y, %z : tensor<2xf32>, tensor<2x1x2xf32>
}

// Casts: float16 rounding (to nearest even), bfloat16, truncation toward
// zero, int32 wrap-around, bool.
// CHECK-LABEL: @casts
// CHECK-NEXT: result 0: 4xf16 = [1, 1.000977, 65504, inf]
// CHECK-NEXT: result 1: 2xbf16 = [1, 1.015625]
// CHECK-NEXT: result 2: 3xi64 = [-2, 2, 0]
// CHECK-NEXT: result 3: 1xi32 = [-2147483648]
// CHECK-NEXT: result 4: 3xi1 = [true, true, false]
func.func @casts() -> (tensor<4xf16>, tensor<2xbf16>, tensor<3xi64>, tensor<1xi32>, tensor<3xi1>) {
  %x = onnx.Constant {value = dense<[1.00048828125, 1.0005, 65519.0, 65520.0]> : tensor<4xf32>} : tensor<4xf32>
  %h = onnx.Cast %x {to = f16} : (tensor<4xf32>) -> tensor<4xf16>
  %y = onnx.Constant {value = dense<[1.00390625, 1.01171875]> : tensor<2xf32>} : tensor<2xf32>
  %b = onnx.Cast %y {to = bf16} : (tensor<2xf32>) -> tensor<2xbf16>
  %z = onnx.Constant {value = dense<[-2.7, 2.7, 0.0]> : tensor<3xf32>} : tensor<3xf32>
  %i = onnx.Cast %z {to = i64} : (tensor<3xf32>) -> tensor<3xi64>
  %big = onnx.Constant {value = dense<[2147483647]> : tensor<1xi32>} : tensor<1xi32>
  %one = onnx.Constant {value = dense<[1]> : tensor<1xi32>} : tensor<1xi32>
  %w = onnx.Add %big, %one : (tensor<1xi32>, tensor<1xi32>) -> tensor<1xi32>
  %t = onnx.Cast %z {to = i1} : (tensor<3xf32>) -> tensor<3xi1>
  return %h, %b, %i, %w, %t : tensor<4xf16>, tensor<2xbf16>, tensor<3xi64>, tensor<1xi32>, tensor<3xi1>
}

// Arithmetic on float16 values rounds each stored result.
// CHECK-LABEL: @f16_arith
// CHECK-NEXT: result 0: 1xf16 = [2048]
func.func @f16_arith() -> tensor<1xf16> {
  %a = onnx.Constant {value = dense<[2048.0]> : tensor<1xf16>} : tensor<1xf16>
  %b = onnx.Constant {value = dense<[1.0]> : tensor<1xf16>} : tensor<1xf16>
  %c = onnx.Add %a, %b : (tensor<1xf16>, tensor<1xf16>) -> tensor<1xf16>
  return %c : tensor<1xf16>
}

// CHECK-LABEL: @unary
// CHECK-NEXT: result 0: 3xf32 = [0.5, 0.7310586, 0.2689414]
// CHECK-NEXT: result 1: 3xf32 = [2, 0.5, 1]
func.func @unary() -> (tensor<3xf32>, tensor<3xf32>) {
  %x = onnx.Constant {value = dense<[0.0, 1.0, -1.0]> : tensor<3xf32>} : tensor<3xf32>
  %s = onnx.Sigmoid %x : (tensor<3xf32>) -> tensor<3xf32>
  %y = onnx.Constant {value = dense<[0.25, 4.0, 1.0]> : tensor<3xf32>} : tensor<3xf32>
  %q = onnx.Sqrt %y : (tensor<3xf32>) -> tensor<3xf32>
  %r = onnx.Reciprocal %q : (tensor<3xf32>) -> tensor<3xf32>
  %n = onnx.Neg %x : (tensor<3xf32>) -> tensor<3xf32>
  %m = onnx.Max %r, %n : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %s, %m : tensor<3xf32>, tensor<3xf32>
}
