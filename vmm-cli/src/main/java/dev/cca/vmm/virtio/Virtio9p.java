package dev.cca.vmm.virtio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * virtio-9p, the 9P transport (device id 9): one request queue, each chain a T-message in its readable buffers
 * and room for the R-message in its writable ones; the configuration holds the mount tag
 * (VIRTIO_9P_MOUNT_TAG). The file server is {@link NinePServer}, confined to one host directory; in the guest:
 * {@code mount -t 9p -o trans=virtio,version=9p2000.L TAG /mnt}.
 */
public final class Virtio9p implements VirtioDevice {
    public static final long F_MOUNT_TAG = 1;
    private final NinePServer server;
    private final byte[] config;
    private final String tag;

    public Virtio9p(Path dir, String tag) throws IOException {
        this.server = new NinePServer(dir);
        this.tag = tag;
        byte[] t = tag.getBytes(StandardCharsets.UTF_8);
        config = new byte[2 + t.length];
        config[0] = (byte) t.length;
        config[1] = (byte) (t.length >>> 8);
        System.arraycopy(t, 0, config, 2, t.length);
    }

    public String tag() {
        return tag;
    }

    @Override
    public int deviceId() {
        return 9;
    }

    @Override
    public String name() {
        return "virtio-9p";
    }

    @Override
    public int pciClass() {
        return 0x028000; // network controller, other (as QEMU's virtio-9p-pci)
    }

    @Override
    public long features() {
        return F_MOUNT_TAG;
    }

    @Override
    public int[] queueSizes() {
        return new int[] {128};
    }

    @Override
    public int configSize() {
        return config.length;
    }

    @Override
    public int configRead(int off) {
        return config[off];
    }

    @Override
    public void notify(int q, Context ctx) {
        Virtqueue.Chain c;
        while ((c = ctx.next(q)) != null) {
            Virtqueue vq = ctx.queue(q);
            long in = c.readableBytes();
            long room = c.writableBytes();
            byte[] reply;
            if (in > NinePServer.MAX_MSIZE + 64L) {
                reply = server.handle(new byte[0], (int) Math.min(room, Integer.MAX_VALUE)); // EINVAL
            } else {
                byte[] req = new byte[(int) in];
                vq.read(c, 0, req, 0, req.length);
                reply = server.handle(req, (int) Math.min(room, NinePServer.MAX_MSIZE));
            }
            if (reply.length > room) {
                throw new VirtioException("9P reply of " + reply.length + " bytes, the chain has room for " + room);
            }
            ctx.used(q, c, vq.write(c, 0, reply, 0, reply.length));
        }
    }

    @Override
    public void reset() {
        server.reset();
    }
}
