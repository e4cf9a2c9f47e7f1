package dev.cca.vmm;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The command line is built with only the subcommand named, or with all of them when none is. */
class MainSubcommandsTest {
    @Test
    void theNamedSubcommandAlone() {
        assertEquals(List.of(RunCommand.class), Main.subcommandsFor(new String[] {"run"}));
        assertEquals(List.of(RunCommand.class), Main.subcommandsFor(new String[] {"-v", "run", "--realm", "debug"}));
        assertEquals(List.of(TokenCommand.class), Main.subcommandsFor(new String[] {"token", "show", "t.cbor"}));
    }

    @Test
    void allOfThemForHelpAMistypedNameOrNoCommand() {
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsFor(new String[] {}));
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsFor(new String[] {"--help"}));
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsFor(new String[] {"help", "run"}));
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsFor(new String[] {"rnu"}));
    }

    @Test
    void aMistypedNameIsReportedAsBefore() {
        CliRunner r = CliRunner.run("rnu");
        assertEquals(2, r.exit(), r.err());
        assertEquals("cca: Unmatched argument at index 0: 'rnu' (see 'cca --help')", r.err().lines().findFirst().orElse(""));
    }
}
