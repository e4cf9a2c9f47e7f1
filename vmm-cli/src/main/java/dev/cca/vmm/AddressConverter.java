package dev.cca.vmm;

import picocli.CommandLine;

/** Parses a guest physical address: decimal, or hexadecimal with 0x (underscores allowed, as in 0x4000_0000). */
final class AddressConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        String v = value.trim().replace("_", "").toLowerCase(java.util.Locale.ROOT);
        try {
            long a = v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
            if (a < 0) {
                throw new NumberFormatException();
            }
            return a;
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not an address (e.g. 0x40080000)");
        }
    }
}
