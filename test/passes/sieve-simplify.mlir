// RUN: sieve-opt %s -split-input-file --sieve-simplify | FileCheck %s
// RUN: sieve-opt %s -split-input-file --sieve-simplify=max-fold-elements=2 | FileCheck %s --check-prefix=LIMIT
// --sieve-simplify: folding of shape computations, rewriting of targets that
// depend on a dynamic size, type refinement and identities. The near misses
// at the end must stay as they are.

// A Reshape target assembled from the input's shape becomes a constant with
// -1 where the size is dynamic.
// CHECK-LABEL: func.func @reshape_target_from_shape
// CHECK-DAG:     %[[T:.*]] = onnx.Constant {value = dense<[1, -1, 4, 64]> : tensor<4xi64>}
// CHECK-NOT:     onnx.Shape
// CHECK-NOT:     onnx.Concat
// CHECK:         %[[R:.*]] = onnx.Reshape %arg0, %[[T]] {allowzero = 1 : i64} : (tensor<1x?x256xf32>, tensor<4xi64>) -> tensor<1x?x4x64xf32>
// CHECK:         return %[[R]]
func.func @reshape_target_from_shape(%x: tensor<1x?x256xf32>) -> tensor<1x?x4x64xf32> {
  %c1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %c4 = onnx.Constant {value = dense<4> : tensor<1xi64>} : tensor<1xi64>
  %c64 = onnx.Constant {value = dense<64> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Shape %x {start = 1 : i64, end = 2 : i64} : (tensor<1x?x256xf32>) -> tensor<1xi64>
  %t = onnx.Concat %c1, %s, %c4, %c64 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %r = onnx.Reshape %x, %t {allowzero = 1 : i64} : (tensor<1x?x256xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %c = onnx.Identity %r : (tensor<?x?x?x?xf32>) -> tensor<1x?x4x64xf32>
  return %c : tensor<1x?x4x64xf32>
}

// -----

// The -1 of a target that also names the dynamic size is proved static
// (1*4*seq*64 / (seq*64) = 4); the result types follow.
// CHECK-LABEL: func.func @reshape_infers_static_size
// CHECK-DAG:     %[[T:.*]] = onnx.Constant {value = dense<[4, -1, 64]> : tensor<3xi64>}
// CHECK:         onnx.Reshape %arg0, %[[T]] : (tensor<1x4x?x64xf32>, tensor<3xi64>) -> tensor<4x?x64xf32>
// CHECK:         onnx.Transpose %{{.*}} {perm = array<i64: 0, 2, 1>} : (tensor<4x?x64xf32>) -> tensor<4x64x?xf32>
func.func @reshape_infers_static_size(%x: tensor<1x4x?x64xf32>) -> tensor<?x?x?xf32> {
  %none = onnx.NoValue
  %m1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %m2 = onnx.Constant {value = dense<-2> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Shape %x : (tensor<1x4x?x64xf32>) -> tensor<4xi64>
  %last = onnx.Slice %s, %m1, %big, %none, %none : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %seq = onnx.Slice %s, %m2, %m1, %none, %none : (tensor<4xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %t = onnx.Concat %m1, %seq, %last {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %r = onnx.Reshape %x, %t : (tensor<1x4x?x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %p = onnx.Transpose %r {perm = array<i64: 0, 2, 1>} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %p : tensor<?x?x?xf32>
}

// -----

// The dynamic size that stays in place with allowzero = 0 becomes a 0.
// CHECK-LABEL: func.func @reshape_copies_dynamic_size
// CHECK-DAG:     %[[T:.*]] = onnx.Constant {value = dense<[0, -1, 64]> : tensor<3xi64>}
// CHECK:         onnx.Reshape %arg0, %[[T]] : (tensor<?x?x4x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
func.func @reshape_copies_dynamic_size(%x: tensor<?x?x4x64xf32>) -> tensor<?x?x64xf32> {
  %c64 = onnx.Constant {value = dense<64> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Shape %x {end = 1 : i64} : (tensor<?x?x4x64xf32>) -> tensor<1xi64>
  %s1 = onnx.Shape %x {start = 1 : i64, end = 2 : i64} : (tensor<?x?x4x64xf32>) -> tensor<1xi64>
  %c4 = onnx.Constant {value = dense<4> : tensor<1xi64>} : tensor<1xi64>
  %m = onnx.Mul %s1, %c4 : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %t = onnx.Concat %s, %m, %c64 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %r = onnx.Reshape %x, %t : (tensor<?x?x4x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %r : tensor<?x?x64xf32>
}

// -----

// Reshape to the input's own shape, also with a dynamic size, is the input.
// CHECK-LABEL: func.func @reshape_identity
// CHECK-NOT:     onnx.Reshape
// CHECK:         return %arg0, %arg1
func.func @reshape_identity(%x: tensor<1x?x256xf32>, %y: tensor<2x3xf32>) -> (tensor<1x?x256xf32>, tensor<2x3xf32>) {
  %t = onnx.Constant {value = dense<[1, -1, 256]> : tensor<3xi64>} : tensor<3xi64>
  %r = onnx.Reshape %x, %t {allowzero = 1 : i64} : (tensor<1x?x256xf32>, tensor<3xi64>) -> tensor<1x?x256xf32>
  %u = onnx.Constant {value = dense<[2, 3]> : tensor<2xi64>} : tensor<2xi64>
  %q = onnx.Reshape %y, %u : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %r, %q : tensor<1x?x256xf32>, tensor<2x3xf32>
}

// -----

// Reshape of a Reshape reads the original input.
// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK:         %[[R:.*]] = onnx.Reshape %arg0, %{{.*}} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %a = onnx.Constant {value = dense<[6, 4]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.Constant {value = dense<[4, 6]> : tensor<2xi64>} : tensor<2xi64>
  %r = onnx.Reshape %x, %a : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %q = onnx.Reshape %r, %b : (tensor<6x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  return %q : tensor<4x6xf32>
}

// -----

// Unsqueeze of Unsqueeze is one Unsqueeze with the axes of both.
// CHECK-LABEL: func.func @unsqueeze_of_unsqueeze
// CHECK-DAG:     %[[A:.*]] = onnx.Constant {value = dense<[0, 1, 3]> : tensor<3xi64>}
// CHECK:         %[[U:.*]] = onnx.Unsqueeze %arg0, %[[A]] : (tensor<?xf32>, tensor<3xi64>) -> tensor<1x1x?x1xf32>
// CHECK-NEXT:    return %[[U]]
func.func @unsqueeze_of_unsqueeze(%x: tensor<?xf32>) -> tensor<1x1x?x1xf32> {
  %a = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %u = onnx.Unsqueeze %x, %a : (tensor<?xf32>, tensor<2xi64>) -> tensor<1x1x?xf32>
  %v = onnx.Unsqueeze %u, %b : (tensor<1x1x?xf32>, tensor<1xi64>) -> tensor<1x1x?x1xf32>
  return %v : tensor<1x1x?x1xf32>
}

// -----

// A Reshape that only adds a unit size after a Transpose moves before it
// and merges with the Reshape there (K^T of grouped-query attention).
// CHECK-LABEL: func.func @reshape_through_transpose
// CHECK-DAG:     %[[T:.*]] = onnx.Constant {value = dense<[1, 4, -1, 64]> : tensor<4xi64>}
// CHECK:         %[[R:.*]] = onnx.Reshape %arg0, %[[T]] : (tensor<1x2x2x?x64xf32>, tensor<4xi64>) -> tensor<1x4x?x64xf32>
// CHECK-NEXT:    %[[P:.*]] = onnx.Transpose %[[R]] {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x?x64xf32>) -> tensor<1x4x64x?xf32>
// CHECK-NEXT:    return %[[P]]
func.func @reshape_through_transpose(%x: tensor<1x2x2x?x64xf32>) -> tensor<1x4x64x?xf32> {
  %a = onnx.Constant {value = dense<[4, -1, 64]> : tensor<3xi64>} : tensor<3xi64>
  %b = onnx.Constant {value = dense<[1, 4, 64, -1]> : tensor<4xi64>} : tensor<4xi64>
  %r = onnx.Reshape %x, %a : (tensor<1x2x2x?x64xf32>, tensor<3xi64>) -> tensor<4x?x64xf32>
  %t = onnx.Transpose %r {perm = array<i64: 0, 2, 1>} : (tensor<4x?x64xf32>) -> tensor<4x64x?xf32>
  %q = onnx.Reshape %t, %b : (tensor<4x64x?xf32>, tensor<4xi64>) -> tensor<1x4x64x?xf32>
  return %q : tensor<1x4x64x?xf32>
}

// -----

// Near miss: the outer Reshape regroups sizes, not only units.
// CHECK-LABEL: func.func @reshape_through_transpose_regroups
// CHECK:         onnx.Reshape
// CHECK:         onnx.Transpose
// CHECK:         onnx.Reshape
func.func @reshape_through_transpose_regroups(%x: tensor<2x3x4xf32>) -> tensor<8x3xf32> {
  %a = onnx.Constant {value = dense<[6, 4]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.Constant {value = dense<[8, 3]> : tensor<2xi64>} : tensor<2xi64>
  %r = onnx.Reshape %x, %a : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %t = onnx.Transpose %r {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  %q = onnx.Reshape %t, %b : (tensor<4x6xf32>, tensor<2xi64>) -> tensor<8x3xf32>
  return %q : tensor<8x3xf32>
}

// -----

// Expand to the input's own shape is the input.
// CHECK-LABEL: func.func @expand_identity
// CHECK-NOT:     onnx.Expand
// CHECK:         return %arg0
func.func @expand_identity(%x: tensor<1x?x64xf32>) -> tensor<1x?x64xf32> {
  %s = onnx.Shape %x : (tensor<1x?x64xf32>) -> tensor<3xi64>
  %e = onnx.Expand %x, %s : (tensor<1x?x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %c = onnx.Identity %e : (tensor<?x?x?xf32>) -> tensor<1x?x64xf32>
  return %c : tensor<1x?x64xf32>
}

// -----

// An Expand that broadcasts stays; its shape becomes a constant with 1
// where the input keeps its dynamic size (grouped-query attention).
// CHECK-LABEL: func.func @expand_gqa
// CHECK-DAG:     %[[S:.*]] = onnx.Constant {value = dense<[1, 2, 2, 1, 64]> : tensor<5xi64>}
// CHECK:         onnx.Expand %arg0, %[[S]] : (tensor<1x2x1x?x64xf32>, tensor<5xi64>) -> tensor<1x2x2x?x64xf32>
func.func @expand_gqa(%x: tensor<1x2x1x?x64xf32>) -> tensor<1x2x2x?x64xf32> {
  %c1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %c2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %c64 = onnx.Constant {value = dense<64> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Shape %x {start = 3 : i64, end = 4 : i64} : (tensor<1x2x1x?x64xf32>) -> tensor<1xi64>
  %t = onnx.Concat %c1, %c2, %c2, %s, %c64 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  %e = onnx.Expand %x, %t : (tensor<1x2x1x?x64xf32>, tensor<5xi64>) -> tensor<1x2x2x?x64xf32>
  return %e : tensor<1x2x2x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @cast_identity_transpose
// CHECK-NOT:     onnx.Cast
// CHECK-NOT:     onnx.Identity
// CHECK-NOT:     onnx.Transpose
// CHECK:         return %arg0
func.func @cast_identity_transpose(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %a = onnx.Cast %x {to = f32} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  %b = onnx.Identity %a : (tensor<2x?xf32>) -> tensor<2x?xf32>
  %c = onnx.Transpose %b {perm = array<i64: 0, 1>} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  return %c : tensor<2x?xf32>
}

// -----

// A Slice over the whole range is its input, also when the end is the
// dynamic size itself.
// CHECK-LABEL: func.func @slice_full
// CHECK-NOT:     onnx.Slice
// CHECK:         return %arg0, %arg0
func.func @slice_full(%x: tensor<4x?xf32>) -> (tensor<4x?xf32>, tensor<4x?xf32>) {
  %none = onnx.NoValue
  %z = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %a = onnx.Slice %x, %z, %big, %one, %none : (tensor<4x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<4x?xf32>
  %s = onnx.Shape %x {start = 1 : i64} : (tensor<4x?xf32>) -> tensor<1xi64>
  %b = onnx.Slice %x, %z, %s, %one, %one : (tensor<4x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x?xf32>
  return %a, %b : tensor<4x?xf32>, tensor<4x?xf32>
}

// -----

// An end that is the dynamic size minus one becomes -1.
// CHECK-LABEL: func.func @slice_end_from_shape
// CHECK-DAG:     %[[E:.*]] = onnx.Constant {value = dense<-1> : tensor<1xi64>}
// CHECK:         onnx.Slice %arg0, %{{.*}}, %[[E]], %{{.*}}, %{{.*}} : {{.*}} -> tensor<?xf32>
func.func @slice_end_from_shape(%x: tensor<?xf32>) -> tensor<?xf32> {
  %none = onnx.NoValue
  %z = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Shape %x : (tensor<?xf32>) -> tensor<1xi64>
  %e = onnx.Sub %s, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %b = onnx.Slice %x, %z, %e, %none, %none : (tensor<?xf32>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<?xf32>
  return %b : tensor<?xf32>
}

// -----

// Integer computations on constants fold to one constant.
// CHECK-LABEL: func.func @fold_integer_ops
// CHECK-SAME:    -> (tensor<2xi64>, tensor<2xi1>, tensor<1x2xi32>, tensor<i64>, tensor<3xi64>, tensor<3x4xi64>)
// CHECK-DAG:     %[[A:.*]] = onnx.Constant {value = dense<[3, 10]> : tensor<2xi64>}
// CHECK-DAG:     %[[B:.*]] = onnx.Constant {value = dense<[true, false]> : tensor<2xi1>}
// CHECK-DAG:     %[[C:.*]] = onnx.Constant {value = dense<{{\[\[}}3, 4]]> : tensor<1x2xi32>}
// CHECK-DAG:     %[[D:.*]] = onnx.Constant {value = dense<24> : tensor<i64>}
// CHECK-DAG:     %[[E:.*]] = onnx.Constant {value = dense<[0, 2, 4]> : tensor<3xi64>}
// CHECK-DAG:     %[[F:.*]] = onnx.Constant {value = dense<5> : tensor<3x4xi64>}
// CHECK-NOT:     onnx.{{(Add|Mul|Equal|Gather|Cast|Size|Range|ConstantOfShape|Unsqueeze|Where|Sub|Div)}}
// CHECK:         return %[[A]], %[[B]], %[[C]], %[[D]], %[[E]], %[[F]]
func.func @fold_integer_ops(%x: tensor<2x3x4xf32>) -> (tensor<2xi64>, tensor<2xi1>, tensor<1x2xi32>, tensor<i64>, tensor<?xi64>, tensor<?x?xi64>) {
  %a = onnx.Constant {value = dense<[3, 4]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %idx = onnx.Constant {value = dense<[1, 2]> : tensor<2xi64>} : tensor<2xi64>
  %ax = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %m = onnx.Mul %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %s = onnx.Add %m, %idx : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %d = onnx.Div %s, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %r = onnx.Add %d, %s : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %r2 = onnx.Sub %r, %idx : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %k = onnx.Constant {value = dense<[9, 4]> : tensor<2xi64>} : tensor<2xi64>
  %e = onnx.Equal %r2, %k : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %w = onnx.Where %e, %a, %s : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %shape = onnx.Shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %g = onnx.Gather %shape, %idx {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %c = onnx.Cast %g {to = i32} : (tensor<2xi64>) -> tensor<2xi32>
  %u = onnx.Unsqueeze %c, %ax : (tensor<2xi32>, tensor<1xi64>) -> tensor<1x2xi32>
  %n = onnx.Size %x : (tensor<2x3x4xf32>) -> tensor<i64>
  %z = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %six = onnx.Constant {value = dense<6> : tensor<i64>} : tensor<i64>
  %rg = onnx.Range %z, %six, %b : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %cs = onnx.ConstantOfShape %g {value = dense<5> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
  return %w, %e, %u, %n, %rg, %cs : tensor<2xi64>, tensor<2xi1>, tensor<1x2xi32>, tensor<i64>, tensor<?xi64>, tensor<?x?xi64>
}

// -----

// Positions computed from an iota: the "new document" test of a packed
// sequence (cat[1:] - cat[:-1] == 1 everywhere) folds away and leaves the
// causal comparison.
// CHECK-LABEL: func.func @iota_mask
// CHECK:         onnx.Range
// CHECK-NOT:     onnx.CumSum
// CHECK-NOT:     onnx.Equal
// CHECK-NOT:     onnx.And
// CHECK:         %[[LE:.*]] = onnx.LessOrEqual
// CHECK-NOT:     onnx.And
// CHECK:         return %[[LE]]
func.func @iota_mask(%ids: tensor<1x?xi64>) -> tensor<1x?x?xi1> {
  %none = onnx.NoValue
  %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %a0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %a1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %am1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %a2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Shape %ids {start = 1 : i64, end = 2 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
  %n = onnx.Squeeze %s, %none : (tensor<1xi64>, none) -> tensor<i64>
  %r = onnx.Range %c0, %n, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %u = onnx.Unsqueeze %r, %a0 : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %f = onnx.Slice %u, %a0, %a1, %a1, %a1 : (tensor<1x?xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1xi64>
  %f1 = onnx.Sub %f, %c1 : (tensor<1x1xi64>, tensor<i64>) -> tensor<1x1xi64>
  %cat = onnx.Concat %f1, %u {axis = -1 : i64} : (tensor<1x1xi64>, tensor<1x?xi64>) -> tensor<1x?xi64>
  %n1 = onnx.Add %c1, %n : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %prev = onnx.Slice %cat, %a0, %s, %am1, %a1 : (tensor<1x?xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %n1v = onnx.Reshape %n1, %am1 {allowzero = 0 : i64} : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %next = onnx.Slice %cat, %a1, %n1v, %am1, %a1 : (tensor<1x?xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %d = onnx.Sub %next, %prev : (tensor<1x?xi64>, tensor<1x?xi64>) -> tensor<1x?xi64>
  %eq = onnx.Equal %d, %c1 : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi1>
  %ne = onnx.Not %eq : (tensor<1x?xi1>) -> tensor<1x?xi1>
  %ni = onnx.Cast %ne {to = i64} : (tensor<1x?xi1>) -> tensor<1x?xi64>
  %doc = onnx.CumSum %ni, %c1 : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
  %q = onnx.Unsqueeze %doc, %a2 : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x?x1xi64>
  %k = onnx.Unsqueeze %doc, %a1 : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %same = onnx.Equal %q, %k : (tensor<1x?x1xi64>, tensor<1x1x?xi64>) -> tensor<1x?x?xi1>
  %pq = onnx.Unsqueeze %u, %a2 : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x?x1xi64>
  %pk = onnx.Unsqueeze %u, %a1 : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1x1x?xi64>
  %causal = onnx.LessOrEqual %pk, %pq : (tensor<1x1x?xi64>, tensor<1x?x1xi64>) -> tensor<1x?x?xi1>
  %mask = onnx.And %causal, %same : (tensor<1x?x?xi1>, tensor<1x?x?xi1>) -> tensor<1x?x?xi1>
  return %mask : tensor<1x?x?xi1>
}

// -----

// Refined result types reach the function's signature.
// CHECK-LABEL: func.func @refine_function_result
// CHECK-SAME:    -> tensor<2x12xf32>
// CHECK:         onnx.Reshape {{.*}} -> tensor<2x12xf32>
func.func @refine_function_result(%x: tensor<2x3x4xf32>) -> tensor<?x?xf32> {
  %none = onnx.NoValue
  %z = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %m1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %s = onnx.Shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %b = onnx.Slice %s, %z, %one, %none, %none : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<?xi64>
  %t = onnx.Concat %b, %m1 {axis = 0 : i64} : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
  %r = onnx.Reshape %x, %t : (tensor<2x3x4xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// Ops the analysis does not model get their types from their own type
// inference once their operands are refined.
// CHECK-LABEL: func.func @refine_by_op_inference
// CHECK-SAME:    -> tensor<6x4xf32>
// CHECK:         onnx.Flatten %{{.*}} : (tensor<6x4xf32>) -> tensor<6x4xf32>
// CHECK:         onnx.Trilu %{{.*}} : (tensor<6x4xf32>, none) -> tensor<6x4xf32>
func.func @refine_by_op_inference(%x: tensor<2x3x4xf32>) -> tensor<?x?xf32> {
  %none = onnx.NoValue
  %t = onnx.Constant {value = dense<[6, -1]> : tensor<2xi64>} : tensor<2xi64>
  %r = onnx.Reshape %x, %t : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %f = onnx.Flatten %r {axis = 1 : i64} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %g = onnx.Trilu %f, %none : (tensor<?x?xf32>, none) -> tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}

// -----

// Near miss: two dynamic sizes that trade places cannot be written as one
// constant target.
// CHECK-LABEL: func.func @reshape_two_dynamic_sizes
// CHECK:         onnx.Concat
// CHECK:         onnx.Reshape
func.func @reshape_two_dynamic_sizes(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %c64 = onnx.Constant {value = dense<64> : tensor<1xi64>} : tensor<1xi64>
  %s0 = onnx.Shape %x {end = 1 : i64} : (tensor<?x?x64xf32>) -> tensor<1xi64>
  %s1 = onnx.Shape %x {start = 1 : i64, end = 2 : i64} : (tensor<?x?x64xf32>) -> tensor<1xi64>
  %t = onnx.Concat %s1, %s0, %c64 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %r = onnx.Reshape %x, %t : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %r : tensor<?x?x64xf32>
}

// -----

// Near misses: an Expand that broadcasts, a Reshape that changes the shape,
// a Cast that converts, a Transpose that permutes, a Slice that drops the
// first element or reverses.
// CHECK-LABEL: func.func @not_identities
// CHECK:         onnx.Expand
// CHECK:         onnx.Reshape
// CHECK:         onnx.Cast
// CHECK:         onnx.Transpose
// CHECK:         onnx.Slice
// CHECK:         onnx.Slice
func.func @not_identities(%x: tensor<1x?xf32>, %y: tensor<4x?xf32>) -> (tensor<3x?xf32>, tensor<?x1xf32>, tensor<1x?xf16>, tensor<?x1xf32>, tensor<4x?xf32>, tensor<4x?xf32>) {
  %none = onnx.NoValue
  %e3 = onnx.Constant {value = dense<[3, 1]> : tensor<2xi64>} : tensor<2xi64>
  %a = onnx.Expand %x, %e3 : (tensor<1x?xf32>, tensor<2xi64>) -> tensor<3x?xf32>
  %t = onnx.Constant {value = dense<[-1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %b = onnx.Reshape %x, %t : (tensor<1x?xf32>, tensor<2xi64>) -> tensor<?x1xf32>
  %c = onnx.Cast %x {to = f16} : (tensor<1x?xf32>) -> tensor<1x?xf16>
  %d = onnx.Transpose %x {perm = array<i64: 1, 0>} : (tensor<1x?xf32>) -> tensor<?x1xf32>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %m1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %small = onnx.Constant {value = dense<-9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
  %f = onnx.Slice %y, %one, %big, %one, %none : (tensor<4x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<4x?xf32>
  %g = onnx.Slice %y, %m1, %small, %one, %m1 : (tensor<4x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x?xf32>
  return %a, %b, %c, %d, %f, %g : tensor<3x?xf32>, tensor<?x1xf32>, tensor<1x?xf16>, tensor<?x1xf32>, tensor<4x?xf32>, tensor<4x?xf32>
}

// -----

// Weights that live in files are never folded or copied.
// CHECK-LABEL: func.func @external_weights_untouched
// CHECK:         onnx.Constant {value = #onnx.external<"w.bin", 0, 96> : tensor<2x3x4xf32>}
// CHECK:         onnx.Reshape
func.func @external_weights_untouched() -> tensor<6x4xf32> {
  %w = onnx.Constant {value = #onnx.external<"w.bin", 0, 96> : tensor<2x3x4xf32>} : tensor<2x3x4xf32>
  %t = onnx.Constant {value = dense<[6, 4]> : tensor<2xi64>} : tensor<2xi64>
  %r = onnx.Reshape %w, %t : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  return %r : tensor<6x4xf32>
}

// -----

// Float, bool and integer ops on inline constants fold, with broadcasting;
// float math only where IEEE rounding makes it exact (no Cos), casts only
// where ONNX defines them (not NaN to int).
// CHECK-LABEL: func.func @fold_float_ops
// CHECK-DAG:     %[[A:.*]] = onnx.Constant {value = dense<[2.500000e+00, 4.000000e+00, 0x7FC00000]> : tensor<3xf32>}
// CHECK-DAG:     %[[B:.*]] = onnx.Constant {value = dense<[false, false, true]> : tensor<3xi1>}
// CHECK-DAG:     %[[D:.*]] = onnx.Constant {value = dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00]]> : tensor<1x3xf16>}
// CHECK-DAG:     %[[E:.*]] = onnx.Constant {value = dense<5.000000e-01> : tensor<64x64xf32>}
// CHECK-DAG:     %[[F:.*]] = onnx.Constant {value = dense<[1.000000e+00, 2.000000e+00, 0x7FC00000]> : tensor<3xf32>}
// CHECK-DAG:     %[[C:.*]] = onnx.Cast %{{.*}} {to = i32} : (tensor<3xf32>) -> tensor<3xi32>
// CHECK-DAG:     %[[G:.*]] = onnx.Cos
// CHECK:         return %[[A]], %[[B]], %[[C]], %[[D]], %[[E]], %[[F]], %[[G]]
// LIMIT-LABEL:   func.func @fold_float_ops
// LIMIT:         onnx.Constant {value = dense<5.000000e-01> : tensor<64x64xf32>}
// LIMIT:         onnx.Add
func.func @fold_float_ops() -> (tensor<3xf32>, tensor<3xi1>, tensor<3xi32>, tensor<1x3xf16>, tensor<64x64xf32>, tensor<3xf32>, tensor<3xf32>) {
  %x = onnx.Constant {value = dense<[1.0, 4.0, 0x7FC00000]> : tensor<3xf32>} : tensor<3xf32>
  %h = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
  %q = onnx.Sqrt %x : (tensor<3xf32>) -> tensor<3xf32>
  %m = onnx.Mul %x, %h : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %a = onnx.Add %m, %two : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %n = onnx.IsNaN %a : (tensor<3xf32>) -> tensor<3xi1>
  %i = onnx.Cast %x {to = i32} : (tensor<3xf32>) -> tensor<3xi32>
  %c = onnx.Constant {value = dense<[1, 2, 3]> : tensor<3xi32>} : tensor<3xi32>
  %cf = onnx.Cast %c {to = f16} : (tensor<3xi32>) -> tensor<3xf16>
  %ax = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %u = onnx.Unsqueeze %cf, %ax : (tensor<3xf16>, tensor<1xi64>) -> tensor<1x3xf16>
  %big = onnx.Constant {value = dense<0.25> : tensor<64x64xf32>} : tensor<64x64xf32>
  %bd = onnx.Div %big, %h : (tensor<64x64xf32>, tensor<f32>) -> tensor<64x64xf32>
  %cos = onnx.Cos %x : (tensor<3xf32>) -> tensor<3xf32>
  return %a, %n, %i, %u, %bd, %q, %cos : tensor<3xf32>, tensor<3xi1>, tensor<3xi32>, tensor<1x3xf16>, tensor<64x64xf32>, tensor<3xf32>, tensor<3xf32>
}
