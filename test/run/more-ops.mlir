// The rest of the common set: Clip, TopK, ArgMax, Tile, GatherElements,
// ScatterND, LayerNormalization, Gemm, Gelu, Erf, Tanh.
// RUN: sieve-run %s | FileCheck %s

// CHECK-LABEL: @clip_topk_argmax
// CHECK-NEXT: result 0: 4xf32 = [0, 0.5, 1, 1]
// CHECK-NEXT: result 1: 2xf32 = [3, 3]
// CHECK-NEXT: result 2: 2xi64 = [1, 3]
// CHECK-NEXT: result 3: 1xi64 = [1]
func.func @clip_topk_argmax() -> (tensor<4xf32>, tensor<2xf32>, tensor<2xi64>, tensor<1xi64>) {
  %x = onnx.Constant {value = dense<[-1.0, 0.5, 1.0, 7.0]> : tensor<4xf32>} : tensor<4xf32>
  %lo = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %hi = onnx.Constant {value = dense<1.0> : tensor<f32>} : tensor<f32>
  %c = onnx.Clip %x, %lo, %hi : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  %y = onnx.Constant {value = dense<[1.0, 3.0, 2.0, 3.0]> : tensor<4xf32>} : tensor<4xf32>
  %k = onnx.Constant {value = dense<[2]> : tensor<1xi64>} : tensor<1xi64>
  %v, %i = onnx.TopK %y, %k : (tensor<4xf32>, tensor<1xi64>) -> (tensor<2xf32>, tensor<2xi64>)
  %a = onnx.ArgMax %y : (tensor<4xf32>) -> tensor<1xi64>
  return %c, %v, %i, %a : tensor<4xf32>, tensor<2xf32>, tensor<2xi64>, tensor<1xi64>
}

// CHECK-LABEL: @tile_gather_elements_scatter
// CHECK-NEXT: result 0: 2x4xi64 = [1, 2, 1, 2, 1, 2, 1, 2]
// CHECK-NEXT: result 1: 2x2xi64 = [2, 1, 3, 4]
// CHECK-NEXT: result 2: 4xi64 = [1, 11, 3, 14]
func.func @tile_gather_elements_scatter() -> (tensor<2x4xi64>, tensor<2x2xi64>, tensor<4xi64>) {
  %x = onnx.Constant {value = dense<[[1, 2]]> : tensor<1x2xi64>} : tensor<1x2xi64>
  %r = onnx.Constant {value = dense<[2, 2]> : tensor<2xi64>} : tensor<2xi64>
  %t = onnx.Tile %x, %r : (tensor<1x2xi64>, tensor<2xi64>) -> tensor<2x4xi64>
  %d = onnx.Constant {value = dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>} : tensor<2x2xi64>
  %i = onnx.Constant {value = dense<[[1, 0], [0, 1]]> : tensor<2x2xi64>} : tensor<2x2xi64>
  %g = onnx.GatherElements %d, %i {axis = 1 : i64} : (tensor<2x2xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
  %data = onnx.Constant {value = dense<[1, 2, 3, 4]> : tensor<4xi64>} : tensor<4xi64>
  %idx = onnx.Constant {value = dense<[[1], [-1]]> : tensor<2x1xi64>} : tensor<2x1xi64>
  %upd = onnx.Constant {value = dense<[9, 10]> : tensor<2xi64>} : tensor<2xi64>
  %s = onnx.ScatterND %data, %idx, %upd {reduction = "add"} : (tensor<4xi64>, tensor<2x1xi64>, tensor<2xi64>) -> tensor<4xi64>
  return %t, %g, %s : tensor<2x4xi64>, tensor<2x2xi64>, tensor<4xi64>
}

// CHECK-LABEL: @layer_norm_gemm_gelu
// CHECK-NEXT: result 0: 1x2xf32 = [-0.999995, 1.99999]
// CHECK-NEXT: result 1: 2x2xf32 = [15, 24, 19, 30]
// CHECK-NEXT: result 2: 2xf32 = [0.8413447, -0.1586553]
// CHECK-NEXT: result 3: 2xf32 = [0.7615942, 0.8427008]
func.func @layer_norm_gemm_gelu() -> (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %x = onnx.Constant {value = dense<[[1.0, 3.0]]> : tensor<1x2xf32>} : tensor<1x2xf32>
  %sc = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
  %b = onnx.Constant {value = dense<[0.0, 0.0]> : tensor<2xf32>} : tensor<2xf32>
  %y, %m, %v = onnx.LayerNormalization %x, %sc, %b : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2xf32>, none, none)
  %a = onnx.Constant {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2x2xf32>
  %c = onnx.Constant {value = dense<[10.0, 20.0]> : tensor<2xf32>} : tensor<2xf32>
  %g = onnx.Gemm %a, %a, %c {transA = 1 : i64, alpha = 1.0 : f32, beta = 0.5 : f32} : (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %in = onnx.Constant {value = dense<[1.0, -1.0]> : tensor<2xf32>} : tensor<2xf32>
  %ge = onnx.Gelu %in : (tensor<2xf32>) -> tensor<2xf32>
  %p = onnx.Constant {value = dense<[1.0, 1.0]> : tensor<2xf32>} : tensor<2xf32>
  %th = onnx.Tanh %p : (tensor<2xf32>) -> tensor<2xf32>
  %er = onnx.Erf %p : (tensor<2xf32>) -> tensor<2xf32>
  %mx = onnx.Max %th, %er : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %mn = onnx.Min %th, %er : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %z = onnx.Concat %mn, %mx {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  %s0 = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %s3 = onnx.Constant {value = dense<[4]> : tensor<1xi64>} : tensor<1xi64>
  %s2 = onnx.Constant {value = dense<[2]> : tensor<1xi64>} : tensor<1xi64>
  %none = onnx.NoValue
  %w = onnx.Slice %z, %s0, %s3, %none, %s2 : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<2xf32>
  return %y, %g, %ge, %w : tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>
}
