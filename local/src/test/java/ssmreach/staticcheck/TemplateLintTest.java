package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * template.yaml passes cfn-lint (which also runs the SAM translator) without a single finding.
 * cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
 */
class TemplateLintTest {

    @Test
    void templatePassesCfnLintWithoutFindings() {
        Path cfnLint = Repo.executable("cfn-lint", Repo.home().resolve(".pyenv/shims"))
                .orElseGet(() -> fail("cfn-lint is not on the PATH nor in ~/.pyenv/shims; install it "
                        + "(pip install cfn-lint) to run this check"));

        Repo.Run lint = Repo.run(Duration.ofMinutes(3), List.of(cfnLint.toString(), "--", "template.yaml"));

        assertEquals(0, lint.exitCode(), () -> "cfn-lint template.yaml exited with " + lint.exitCode()
                + " (2 errors, 4 warnings, 8 info):\n" + lint.output());
        assertTrue(lint.output().isBlank(), () -> "cfn-lint printed findings:\n" + lint.output());
    }
}
