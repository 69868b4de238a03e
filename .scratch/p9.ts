import { MongoClient } from 'mongodb';
async function main() {
  const c1 = new MongoClient('mongodb://127.0.0.1:27993/');
  const c2 = new MongoClient('mongodb://127.0.0.1:27993/');
  await c1.connect(); await c2.connect();
  const col1 = c1.db('p9').collection<any>('x');
  const col2 = c2.db('p9').collection<any>('x');
  await col1.drop().catch(() => undefined);
  const run = async (col: typeof col1, n: number) => { for (let i = 0; i < n; i++) await col.updateOne({ _id: 'k' }, { $inc: { count: 1 } }, { upsert: true }); };
  await col1.insertOne({ _id: 'k', count: 0 });
  await Promise.all([run(col1, 200), run(col2, 200), run(col1, 200)]);
  console.log('sequential-per-client concurrent incs: expected 600, got', (await col1.findOne({ _id: 'k' }))?.count);
  const fa = await col1.findOneAndUpdate({ _id: 'k' }, { $inc: { count: 0 } });
  void fa;
  await c1.close(); await c2.close();
}
main();
