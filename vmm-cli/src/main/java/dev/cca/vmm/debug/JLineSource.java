package dev.cca.vmm.debug;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.io.IOException;

/** Interactive input for {@code cca debug}: line editing and history through JLine. */
public final class JLineSource implements DebugConsole.LineSource {
    private final Terminal terminal;
    private final LineReader reader;

    public JLineSource() throws IOException {
        terminal = TerminalBuilder.builder().system(true).build();
        reader = LineReaderBuilder.builder().terminal(terminal).appName("cca").build();
    }

    @Override
    public String readLine(String prompt) {
        while (true) {
            try {
                return reader.readLine(prompt);
            } catch (UserInterruptException e) {
                // Ctrl-C at the prompt: the machine is stopped anyway; offer the prompt again.
            } catch (EndOfFileException e) {
                return null;
            }
        }
    }

    @Override
    public void close() throws IOException {
        terminal.close();
    }
}
