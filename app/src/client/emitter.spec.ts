import { TypedEmitter } from './emitter';

interface Events {
  tick: (n: number) => void;
  tock: (n: number) => void;
}

describe(TypedEmitter.name, () => {
  it('should not call a once handler that off() removed before the event', () => {
    const e = new TypedEmitter<Events>();
    const seen: number[] = [];
    const fn = (n: number) => seen.push(n);
    e.once('tick', fn);
    e.off('tick', fn);
    e.emit('tick', 1);
    expect(seen).toEqual([]);
    expect(e.listenerCount()).toBe(0);
  });

  it('should call a once handler one time and then forget it', () => {
    const e = new TypedEmitter<Events>();
    const seen: number[] = [];
    e.once('tick', (n) => seen.push(n));
    e.emit('tick', 1);
    e.emit('tick', 2);
    expect(seen).toEqual([1]);
    expect(e.listenerCount('tick')).toBe(0);
  });

  it('should keep a function registered on another event when off() removes it from one', () => {
    const e = new TypedEmitter<Events>();
    const seen: string[] = [];
    const fn = (n: number) => seen.push(String(n));
    e.once('tick', fn);
    e.on('tock', fn);
    e.off('tick', fn);
    e.emit('tick', 1);
    e.emit('tock', 2);
    expect(seen).toEqual(['2']);
  });

  it('should remove the handler through the function on() returns', () => {
    const e = new TypedEmitter<Events>();
    const seen: number[] = [];
    const stop = e.once('tick', (n) => seen.push(n));
    stop();
    e.emit('tick', 1);
    expect(seen).toEqual([]);
  });
});
