package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What {@code sam build} does with functions/, as aws-lambda-builders' Maven workflow does it: a
 * copy of the folder, the system {@code mvn clean install} there (its stdout is what sam shows as
 * "Maven Failed: …"), then {@code mvn dependency:copy-dependencies -DincludeScope=runtime
 * -Dmdep.prependGroupId=true}. A deliberately failing test is added to the copy (the only test
 * run, to keep this short): the output must name it and its assertion, and every plugin Maven ran
 * must be one the POM pins, whatever Maven the user has.
 */
class SamBuildIT {
    private static final Pattern EXECUTION = Pattern.compile("--- ([\\w.-]+):([\\w.-]+):([\\w-]+) \\(");
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(8);

    @Test
    void aFailingTestIsNamedAndOnlyPinnedPluginsRun(@TempDir Path scratch) throws Exception {
        Optional<Path> mvn = Repo.executable("mvn");
        assumeTrue(mvn.isPresent(), "sam build runs the system mvn; none on the PATH here");
        Path copy = copyLikeSamBuild(Repo.path("functions"), scratch.resolve("functions"));
        Path probe = copy.resolve("src/test/java/ssmreach/SamBuildProbeTest.java");
        Files.writeString(probe, """
                package ssmreach;

                import static org.junit.jupiter.api.Assertions.assertEquals;

                import org.junit.jupiter.api.Test;

                class SamBuildProbeTest {
                    @Test
                    void failsOnPurpose() {
                        System.out.println("a function's log line, printed by the test");
                        assertEquals("endpoint available", "endpoint pending", "the probe's own reason");
                    }
                }
                """);
        Map<String, String> environment = Map.of("JAVA_HOME", System.getProperty("java.home"));

        Repo.Run install = Repo.run(copy, BUILD_TIMEOUT, false, environment,
                List.of(mvn.get().toString(), "clean", "install", "-Dtest=SamBuildProbeTest"));
        String output = ANSI.matcher(install.output()).replaceAll("");

        assertNotEquals(0, install.exitCode(), output);
        assertTrue(output.contains("SamBuildProbeTest.failsOnPurpose"), "the failing test is named:\n" + output);
        assertTrue(output.contains("the probe's own reason ==> expected: <endpoint available> but was: <endpoint pending>"),
                "its assertion is shown:\n" + output);
        assertFalse(output.contains("a function's log line"), "test output stays out of the build log:\n" + output);
        Map<String, String> ran = pluginsRun(output);
        assertTrue(ran.keySet().containsAll(List.of("maven-clean-plugin", "maven-resources-plugin", "maven-compiler-plugin",
                "maven-surefire-plugin")), "the build ran its lifecycle: " + ran);
        assertEquals(pinnedVersions(ran.keySet()), ran, "every plugin that ran is pinned in functions/pom.xml");

        Repo.Run dependencies = Repo.run(copy, BUILD_TIMEOUT, false, environment, List.of(mvn.get().toString(),
                "dependency:copy-dependencies", "-DincludeScope=runtime", "-Dmdep.prependGroupId=true"));
        String dependencyOutput = ANSI.matcher(dependencies.output()).replaceAll("");

        assertEquals(0, dependencies.exitCode(), dependencyOutput);
        Map<String, String> ranThen = pluginsRun(dependencyOutput);
        assertEquals(pinnedVersions(ranThen.keySet()), ranThen, "the dependency plugin is pinned too");
        try (Stream<Path> jars = Files.list(copy.resolve("target/dependency"))) {
            List<String> names = jars.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("software.amazon.awssdk.sdk-core-")), names.toString());
            // The service jars come cut from the package phase (ShippedPackageIT), never whole from this step.
            assertTrue(names.stream().noneMatch(n -> n.startsWith("software.amazon.awssdk.ec2-")), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.contains("junit") || n.contains("mockito")), "runtime scope only: " + names);
        }
    }

    /** CopySourceAction: the CodeUri folder without .aws-sam, .git and, here, this build's own output. */
    static Path copyLikeSamBuild(Path source, Path target) throws IOException {
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path relative = source.relativize(file);
                String first = relative.getNameCount() == 0 ? "" : relative.getName(0).toString();
                if (first.equals("target") || first.equals(".aws-sam") || first.equals(".git")) {
                    continue;
                }
                Path to = target.resolve(relative.toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(file, to);
                }
            }
        }
        return target;
    }

    /** Plugin artifactId → version, from Maven's "--- plugin:version:goal (id) @ module ---" lines (3.8 and 3.9 forms). */
    private static Map<String, String> pluginsRun(String output) {
        Map<String, String> ran = new TreeMap<>();
        Matcher matcher = EXECUTION.matcher(output);
        while (matcher.find()) {
            String plugin = matcher.group(1);
            String artifactId = plugin.startsWith("maven-") || plugin.contains("-maven-") ? plugin : "maven-" + plugin + "-plugin";
            ran.put(artifactId, matcher.group(2));
        }
        return ran;
    }

    /** The versions functions/pom.xml declares for {@code plugins} (missing ones absent), properties resolved. */
    private static Map<String, String> pinnedVersions(java.util.Collection<String> plugins) throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Repo.path("functions/pom.xml").toFile());
        Map<String, String> properties = new TreeMap<>();
        NodeList propertyNodes = ((Element) pom.getElementsByTagName("properties").item(0)).getChildNodes();
        for (int i = 0; i < propertyNodes.getLength(); i++) {
            if (propertyNodes.item(i) instanceof Element property) {
                properties.put(property.getTagName(), property.getTextContent().trim());
            }
        }
        Map<String, String> pinned = new TreeMap<>();
        NodeList declared = pom.getElementsByTagName("plugin");
        List<String> wanted = new ArrayList<>(plugins);
        for (int i = 0; i < declared.getLength(); i++) {
            Element plugin = (Element) declared.item(i);
            String artifactId = plugin.getElementsByTagName("artifactId").item(0).getTextContent().trim();
            NodeList version = plugin.getElementsByTagName("version");
            if (wanted.contains(artifactId) && version.getLength() > 0) {
                String value = version.item(0).getTextContent().trim();
                Matcher property = Pattern.compile("\\$\\{(.+)}").matcher(value);
                pinned.put(artifactId, property.matches() ? properties.get(property.group(1)) : value);
            }
        }
        return pinned;
    }
}
