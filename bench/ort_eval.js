// bits per byte of a byte-level ONNX LM by the llama12 README protocol
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {
  const [model, text, win] = [process.argv[2], process.argv[3], parseInt(process.argv[4] || '512')];
  const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const sess = await ort.InferenceSession.create(model, opts);
  const data = fs.readFileSync(text);
  let total = 0, n = 0; const t0 = Date.now();
  for (let s = 0; s < data.length; s += win) {
    const w = data.subarray(s, Math.min(s + win, data.length));
    if (w.length < 2) continue;
    const ids = new BigInt64Array(w.length); for (let i = 0; i < w.length; i++) ids[i] = BigInt(w[i]);
    const out = await sess.run({ input_ids: new ort.Tensor('int64', ids, [1, w.length]) });
    const l = out.logits.data, V = 256;
    for (let i = 0; i + 1 < w.length; i++) {
      let m = -Infinity; for (let v = 0; v < V; v++) m = Math.max(m, l[i * V + v]);
      let z = 0; for (let v = 0; v < V; v++) z += Math.exp(l[i * V + v] - m);
      total += -(l[i * V + w[i + 1]] - m - Math.log(z)) / Math.LN2; n++;
    }
  }
  console.log(JSON.stringify({ bits_per_byte: total / n, predicted_bytes: n, seconds: (Date.now() - t0) / 1000 }));
})();
