// Runs an ONNX model on onnxruntime-node's CPU provider for a Python driver
// (make_genai_models.py): argv = model.onnx, a JSON manifest of inputs
// [{name, type, dims, file}] (raw little-endian data) and an output folder,
// where it writes out_K.bin for output K and outputs.json [{name, type, dims,
// file}].
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
const arrays = {
  float32: Float32Array, int64: BigInt64Array, int32: Int32Array,
  uint8: Uint8Array,
};
(async () => {
  const [model, manifest, outDir] = process.argv.slice(2);
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1,
    executionProviders: ['cpu'] });
  const feeds = {};
  for (const i of JSON.parse(fs.readFileSync(manifest))) {
    const buf = fs.readFileSync(i.file);
    const A = arrays[i.type];
    const data = new A(buf.buffer.slice(buf.byteOffset,
                                        buf.byteOffset + buf.length));
    feeds[i.name] = new ort.Tensor(i.type, data, i.dims);
  }
  const res = await sess.run(feeds);
  const outs = [];
  sess.outputNames.forEach((name, k) => {
    const t = res[name];
    const file = path.join(outDir, `out_${k}.bin`);
    fs.writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset,
                                       t.data.byteLength));
    outs.push({ name, type: t.type, dims: t.dims, file });
  });
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(outs));
})().catch((e) => { console.error(e); process.exit(1); });
