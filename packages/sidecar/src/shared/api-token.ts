/** The API token check shared by the HTTP and gRPC servers: constant time, so timing reveals nothing of the token. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether `given` equals `expected`, compared in time independent of where they differ (and of their lengths). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}
