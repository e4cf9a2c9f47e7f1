package dev.cca.vmm.virtio;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * virtio-blk (virtio 1.x, 5.2) on a raw image file: 512-byte sectors, capacity the file's size rounded down to a
 * sector. Requests: IN (read), OUT (write), FLUSH (the file is forced to stable storage before the status is
 * returned), GET_ID (the image's file name). A read-only disk offers VIRTIO_BLK_F_RO and fails writes with
 * IOERR; a request past the end of the disk, or whose buffers do not hold the header and status byte, gets
 * IOERR too; unknown types get UNSUPP.
 */
public final class VirtioBlk implements VirtioDevice, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VirtioBlk.class);
    public static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    public static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    public static final long F_SEG_MAX = 1L << 2, F_RO = 1L << 5, F_BLK_SIZE = 1L << 6, F_FLUSH = 1L << 9;
    static final int QUEUE_SIZE = 128;
    private static final int SECTOR = 512;
    /** The largest data transfer of one request the device performs (larger ones fail with IOERR). */
    private static final int MAX_TRANSFER = 4 << 20;

    private final Path path;
    private final FileChannel file;
    private final boolean readOnly;
    private final long sectors;
    private final byte[] config = new byte[24];

    public VirtioBlk(Path path, boolean readOnly) throws IOException {
        this.path = path;
        this.readOnly = readOnly;
        this.file = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.sectors = file.size() / SECTOR;
        ByteBuffer c = ByteBuffer.wrap(config).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        c.putLong(0, sectors);        // capacity
        c.putInt(8, 0);               // size_max (F_SIZE_MAX not offered)
        c.putInt(12, QUEUE_SIZE - 2); // seg_max
        c.putInt(20, SECTOR);         // blk_size
    }

    public Path path() {
        return path;
    }

    public long sectors() {
        return sectors;
    }

    @Override
    public int deviceId() {
        return 2;
    }

    @Override
    public String name() {
        return "virtio-blk";
    }

    @Override
    public int pciClass() {
        return 0x018000; // mass storage, other
    }

    @Override
    public long features() {
        return F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (readOnly ? F_RO : 0);
    }

    @Override
    public int[] queueSizes() {
        return new int[] {QUEUE_SIZE};
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
            ctx.used(q, c, handle(ctx.queue(q), c));
        }
    }

    /** Performs one request; returns the bytes written into the chain (data and status). */
    private int handle(Virtqueue vq, Virtqueue.Chain c) {
        long writable = c.writableBytes();
        if (writable < 1) {
            throw new VirtioException("block request without a writable status byte");
        }
        long statusAt = writable - 1;
        byte[] hdr = new byte[16];
        if (vq.read(c, 0, hdr, 0, 16) < 16) {
            return status(vq, c, statusAt, S_IOERR, 0);
        }
        ByteBuffer h = ByteBuffer.wrap(hdr).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int type = h.getInt(0);
        long sector = h.getLong(8);
        long dataIn = statusAt;                   // bytes the device may write before the status
        long dataOut = c.readableBytes() - 16;    // bytes the driver gave after the header
        try {
            switch (type) {
                case T_IN: {
                    if (dataIn % SECTOR != 0 || dataIn > MAX_TRANSFER || !inside(sector, dataIn)) {
                        return status(vq, c, statusAt, S_IOERR, 0);
                    }
                    byte[] b = new byte[(int) dataIn];
                    readFully(b, sector * SECTOR);
                    vq.write(c, 0, b, 0, b.length);
                    return status(vq, c, statusAt, S_OK, b.length);
                }
                case T_OUT: {
                    if (readOnly || dataOut % SECTOR != 0 || dataOut > MAX_TRANSFER || !inside(sector, dataOut)) {
                        return status(vq, c, statusAt, S_IOERR, 0);
                    }
                    byte[] b = new byte[(int) dataOut];
                    vq.read(c, 16, b, 0, b.length);
                    writeFully(b, sector * SECTOR);
                    return status(vq, c, statusAt, S_OK, 0);
                }
                case T_FLUSH:
                    if (!readOnly) {
                        file.force(true);
                    }
                    return status(vq, c, statusAt, S_OK, 0);
                case T_GET_ID: {
                    byte[] id = new byte[20];
                    byte[] name = path.getFileName().toString().getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(name, 0, id, 0, Math.min(20, name.length));
                    int n = (int) Math.min(20, dataIn);
                    vq.write(c, 0, id, 0, n);
                    return status(vq, c, statusAt, S_OK, n);
                }
                default:
                    return status(vq, c, statusAt, S_UNSUPP, 0);
            }
        } catch (IOException e) {
            LOG.warn("virtio-blk {}: {}", path, e.toString());
            return status(vq, c, statusAt, S_IOERR, 0);
        }
    }

    private boolean inside(long sector, long bytes) {
        return sector >= 0 && sector <= sectors && bytes / SECTOR <= sectors - sector;
    }

    private static int status(Virtqueue vq, Virtqueue.Chain c, long at, int s, int dataWritten) {
        vq.write(c, at, new byte[] {(byte) s}, 0, 1);
        return dataWritten + 1;
    }

    private void readFully(byte[] b, long pos) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
            int n = file.read(bb, pos + bb.position());
            if (n < 0) {
                throw new IOException("unexpected end of file at " + (pos + bb.position()));
            }
        }
    }

    private void writeFully(byte[] b, long pos) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
            file.write(bb, pos + bb.position());
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
