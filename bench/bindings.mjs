// bindings: the binding rows of `pnpm bench`, each beside daprd running contrib's own component on the same backend.
// - output (suite `bindings-output`, ./bindings-output.mjs): redis `create` through the binding API;
// - input (kafka → app): added beside it by its own module.
import { benchBindingsOutput } from './bindings-output.mjs';

export async function benchBindings() {
  return { output: await benchBindingsOutput() };
}
