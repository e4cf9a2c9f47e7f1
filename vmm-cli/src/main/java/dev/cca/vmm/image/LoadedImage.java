package dev.cca.vmm.image;

import java.util.List;

/**
 * A guest image ready to be copied into guest memory: its segments (guest physical address and bytes; the
 * memory size may exceed the bytes, the rest is zero) and where execution starts.
 */
public record LoadedImage(String format, List<Segment> segments, long entry) {

    public record Segment(long gpa, byte[] bytes, long memSize) {
        public long end() {
            return gpa + memSize;
        }
    }

    public long lowest() {
        return segments.stream().mapToLong(Segment::gpa).min().orElse(0);
    }

    public long highest() {
        return segments.stream().mapToLong(Segment::end).max().orElse(0);
    }
}
