/** Where the test server is (FerretDB from scripts/services.sh, or any MongoDB), and how to tell it answers. */
import { MongoClient } from 'mongodb';

export const MONGO_HOST = process.env.DAPRKIT_MONGODB_HOST ?? '127.0.0.1:27017';

/** Throws when the server cannot answer `ping` within two seconds. */
export async function probeMongo(): Promise<void> {
  const client = new MongoClient(`mongodb://${MONGO_HOST}/`, {
    serverSelectionTimeoutMS: 2_000,
    connectTimeoutMS: 2_000,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close().catch(() => {});
  }
}
