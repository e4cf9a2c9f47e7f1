package dev.cca.vmm.virtio;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;

/**
 * virtio-console (virtio 1.x, 5.3) with one port and no multiport control queues: transmitq bytes go to the
 * console stream (Linux's hvc0), and bytes given to {@link #input} are written into the buffers the driver
 * posted on receiveq, as soon as there are some.
 */
public final class VirtioConsole implements VirtioDevice {
    public static final int RECEIVEQ = 0, TRANSMITQ = 1;
    private final OutputStream out;
    private final ArrayDeque<Byte> pending = new ArrayDeque<>();
    private long bytesWritten;
    /** Set by the transport's owner: takes receiveq when input arrives outside a notification. */
    private volatile Runnable deliver = () -> { };

    public VirtioConsole(OutputStream out) {
        this.out = out;
    }

    public void onInput(Runnable deliverHook) {
        this.deliver = deliverHook;
    }

    @Override
    public int deviceId() {
        return 3;
    }

    @Override
    public String name() {
        return "virtio-console";
    }

    @Override
    public int pciClass() {
        return 0x078000; // simple communication controller, other
    }

    @Override
    public long features() {
        return 0;
    }

    @Override
    public int[] queueSizes() {
        return new int[] {64, 64};
    }

    @Override
    public int configSize() {
        return 12; // cols, rows, max_nr_ports, emerg_wr: unused without F_SIZE, F_MULTIPORT, F_EMERG_WRITE
    }

    @Override
    public int configRead(int off) {
        return 0;
    }

    /** Bytes typed at the console: queued, then delivered to the guest's receive buffers. */
    public void input(byte[] b) {
        synchronized (pending) {
            for (byte x : b) {
                pending.add(x);
            }
        }
        deliver.run();
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    @Override
    public void notify(int q, Context ctx) {
        if (q == TRANSMITQ) {
            Virtqueue.Chain c;
            while ((c = ctx.next(q)) != null) {
                long n = c.readableBytes();
                byte[] b = new byte[(int) Math.min(n, 1 << 20)];
                ctx.queue(q).read(c, 0, b, 0, b.length);
                try {
                    out.write(b);
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                bytesWritten += b.length;
                ctx.used(q, c, 0);
            }
        } else {
            fillReceive(ctx);
        }
    }

    private void fillReceive(Context ctx) {
        synchronized (pending) {
            while (!pending.isEmpty()) {
                Virtqueue.Chain c = ctx.next(RECEIVEQ);
                if (c == null) {
                    return;
                }
                int n = (int) Math.min(c.writableBytes(), pending.size());
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) {
                    b[i] = pending.poll();
                }
                ctx.used(RECEIVEQ, c, ctx.queue(RECEIVEQ).write(c, 0, b, 0, n));
            }
        }
    }

    @Override
    public void reset() {
        synchronized (pending) {
            pending.clear();
        }
    }
}
