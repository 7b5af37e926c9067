// biome-ignore lint/suspicious/noExplicitAny: listener signatures vary per event map entry
type Listener = (...args: any[]) => void;

/** A tiny typed event emitter (the SDK avoids dependencies beyond socket.io-client). */
export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private _listeners = new Map<keyof Events, Set<Listener>>();

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this._listeners.get(event);
    if (!set) {
      set = new Set();
      this._listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Events[K]): void {
    this._listeners.get(event)?.delete(listener);
  }

  protected _emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const listener of [...(this._listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // A page's handler must not break delivery.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
