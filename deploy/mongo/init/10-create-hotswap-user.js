// Runs once, when the mongo container initialises an empty data volume
// (/docker-entrypoint-initdb.d). Creates the least-privileged user the HotSwap
// processes connect with; the root account stays for administration only.
const dbName = process.env.MONGO_APP_DATABASE || 'hotswap';
const user = process.env.MONGO_APP_USERNAME;
const pwd = process.env.MONGO_APP_PASSWORD;
if (!user || !pwd) throw new Error('MONGO_APP_USERNAME and MONGO_APP_PASSWORD must be set');

const appDb = db.getSiblingDB(dbName);
if (appDb.getUser(user)) {
  print(`user ${user} already exists in ${dbName}`);
} else {
  appDb.createUser({
    user,
    pwd,
    // readWrite: documents and indexes; dbAdmin: collection options/validators (collMod).
    roles: [{ role: 'readWrite', db: dbName }, { role: 'dbAdmin', db: dbName }],
  });
  print(`created user ${user} in ${dbName}`);
}
