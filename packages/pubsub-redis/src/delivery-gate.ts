/** pause()/resume() for every subscription of one component: closed, it holds reads and deliveries back. */
export class DeliveryGate {
  #reopened: Promise<void> | undefined;
  #reopen: (() => void) | undefined;

  pause(): void {
    this.#reopened ??= new Promise((resolve) => {
      this.#reopen = resolve;
    });
  }

  resume(): void {
    this.#reopen?.();
    this.#reopened = this.#reopen = undefined;
  }

  /** undefined while open (so the hot path does not await); otherwise settles on resume. */
  whenOpen(): Promise<void> | undefined {
    return this.#reopened;
  }
}
