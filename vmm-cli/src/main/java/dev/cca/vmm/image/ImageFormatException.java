package dev.cca.vmm.image;

/** A guest image that cannot be loaded: names the file and what is wrong with it (and where, when known). */
public final class ImageFormatException extends Exception {
    public final String file;

    public ImageFormatException(String file, String problem) {
        super(problem);
        this.file = file;
    }

    /** One line for the user: "kernel image 'x.elf': truncated: ...". */
    public String userMessage(String role) {
        return role + " '" + file + "': " + getMessage();
    }
}
