import { MongoClient } from 'mongodb';
async function main() {
  const c = new MongoClient('mongodb://127.0.0.1:27992/', { serverSelectionTimeoutMS: 2000 });
  await c.connect();
  const db = c.db('p8');
  const time = async (name: string, f: () => Promise<any>) => { const t = Date.now(); await f(); console.log(name, Date.now() - t, 'ms'); };
  for (const n of [1000, 5000]) {
    const b = db.collection<any>(`b${n}`);
    await b.drop().catch(() => undefined);
    await b.insertMany(Array.from({ length: n }, (_, i) => ({ _id: `10|m|Production|1.0.0|primary|${i * 10000}`, modelId: 'm', count: 1, h3: 1, fl: ['a', 'b'] })));
    const id = `10|m|Production|1.0.0|primary|${(n - 1) * 10000}`;
    await time(`n=${n} findOne last`, () => b.findOne({ _id: id }));
    await time(`n=${n} inc upsert`, () => b.updateOne({ _id: id }, { $inc: { count: 1 } }, { upsert: true }));
    await time(`n=${n} inc+push+minmax upsert`, () => b.updateOne({ _id: id }, { $inc: { count: 1 }, $push: { fl: { $each: ['x'], $slice: -64 } }, $min: { latMin: 1 }, $max: { latMax: 2 }, $setOnInsert: { modelId: 'm' } }, { upsert: true }));
    await time(`n=${n} new-doc upsert`, () => b.updateOne({ _id: 'new' + n }, { $inc: { count: 1 } }, { upsert: true }));
    await time(`n=${n} guarded upsert`, () => b.updateOne({ _id: id, fl: { $ne: 'zz' } }, { $inc: { count: 1 } }, { upsert: true }));
    const ops = Array.from({ length: 12 }, (_, i) => ({ updateOne: { filter: { _id: `10|m|Production|1.0.0|primary|${(n - 1 - i) * 10000}` }, update: { $inc: { count: 1 } }, upsert: true } }));
    await time(`n=${n} bulk 12`, () => b.bulkWrite(ops, { ordered: false }));
    await time(`n=${n} insert 1`, () => b.insertOne({ _id: 'ins' + n, x: 1 }));
  }
  await c.close();
}
main();
