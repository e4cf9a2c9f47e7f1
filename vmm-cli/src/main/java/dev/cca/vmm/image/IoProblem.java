package dev.cca.vmm.image;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * What went wrong with a file, in words: the JDK's file exceptions often carry only the path as their message
 * ("/tmp/x"), which tells the user nothing they did not type. Used wherever cca reports a file it cannot use.
 */
public final class IoProblem {
    private IoProblem() {
    }

    public static String describe(IOException e) {
        return describe(e, null);
    }

    /** As {@link #describe(IOException)}; names the path the problem is with when it is not {@code named}. */
    public static String describe(IOException e, java.nio.file.Path named) {
        String at = "";
        if (e instanceof FileSystemException f && f.getFile() != null
                && (named == null || !f.getFile().equals(named.toString()))) {
            at = " (" + f.getFile() + ")";
        }
        return what(e) + at;
    }

    private static String what(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemException f) {
            String reason = f.getReason();
            return (reason != null ? reason.toLowerCase(java.util.Locale.ROOT) : "I/O error");
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

}
