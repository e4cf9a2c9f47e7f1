package dev.cca.vmm.virtio;

import java.security.SecureRandom;

/**
 * virtio-rng, the entropy device (virtio 1.x, 5.4): one request queue whose buffers the device fills with random
 * bytes from the host's {@link SecureRandom}. Linux's virtio-rng driver backs /dev/hwrng with it.
 */
public final class VirtioRng implements VirtioDevice {
    private static final int MAX_REQUEST = 64 << 10;
    private final SecureRandom random = new SecureRandom();

    @Override
    public int deviceId() {
        return 4;
    }

    @Override
    public String name() {
        return "virtio-rng";
    }

    @Override
    public int pciClass() {
        return 0xFF0000;
    }

    @Override
    public long features() {
        return 0;
    }

    @Override
    public int[] queueSizes() {
        return new int[] {64};
    }

    @Override
    public int configSize() {
        return 0;
    }

    @Override
    public int configRead(int off) {
        return 0;
    }

    @Override
    public void notify(int q, Context ctx) {
        Virtqueue.Chain c;
        while ((c = ctx.next(q)) != null) {
            // At most 64 KiB per request: a driver asking for more gets less, as the spec allows.
            int n = (int) Math.min(c.writableBytes(), MAX_REQUEST);
            byte[] b = new byte[n];
            random.nextBytes(b);
            ctx.used(q, c, ctx.queue(q).write(c, 0, b, 0, n));
        }
    }
}
