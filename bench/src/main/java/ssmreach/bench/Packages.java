package ssmreach.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The deployment package as {@code sam build} makes it for a Maven function: the functions
 * module's {@code target/classes} at the root and its {@code target/dependency} (the runtime
 * dependencies, the AWS SDK service jars cut to what the functions load) under {@code lib/},
 * zipped. All ten functions share one CodeUri, so each ships the same package. The naive package
 * is the same with the whole service jars and the SDK's default HTTP clients (apache5-client,
 * netty-nio-client and their dependencies) instead of url-connection-client.
 */
final class Packages {
    /** Lambda counts megabytes in decimal; the target is 40 MB zipped. */
    static final long TARGET_ZIPPED_BYTES = 40_000_000L;

    private Packages() {}

    /**
     * Where each package's parts are: {@code classes} at the root, {@code lib} the jars of ours
     * (what is deployed), {@code naiveLib} those of the naive build.
     */
    record Layout(Path classes, List<Path> lib, List<Path> naiveLib) {
        static Layout of(Bench.Options options) {
            Path functions = options.packageDir().toAbsolutePath();
            Path classes = functions.resolve("classes");
            List<Path> lib = jars(functions.resolve("dependency"));
            if (!Files.isDirectory(classes) || lib.stream().noneMatch(p -> name(p).startsWith("software.amazon.awssdk.ec2-"))) {
                throw new IllegalStateException(functions + " holds no package (classes/ and dependency/): build the functions "
                        + "module's package phase first (bench/run does)");
            }
            // The naive build ships the whole service jars the cut ones come from, and the SDK's default HTTP clients.
            Map<String, Path> whole = new TreeMap<>();
            jars(options.target().toAbsolutePath().resolve("lib-ours")).forEach(j -> whole.put("software.amazon.awssdk." + name(j), j));
            List<Path> naive = new ArrayList<>();
            for (Path jar : lib) {
                if (!name(jar).contains("url-connection-client")) {
                    naive.add(whole.getOrDefault(name(jar), jar));
                }
            }
            naive.addAll(jars(options.target().toAbsolutePath().resolve("lib-naive")));
            return new Layout(classes, lib, naive);
        }
    }

    static ObjectNode measure(Layout layout, Path out) {
        ObjectNode node = Bench.MAPPER.createObjectNode();
        node.set("ours", zip(layout.classes(), layout.lib(), out.resolve("package-ours.zip")));
        node.set("naive", zip(layout.classes(), layout.naiveLib(), out.resolve("package-naive.zip")));
        node.put("ratio", Bench.round(node.path("ours").path("zippedBytes").asDouble() / node.path("naive").path("zippedBytes").asDouble(), 2));
        node.put("targetZippedBytes", TARGET_ZIPPED_BYTES);
        node.put("functionsSharingThePackage", ColdStart.ALL_FUNCTIONS.size());
        return node;
    }

    private static ObjectNode zip(Path classes, List<Path> jars, Path zip) {
        long unzipped = 0;
        Map<String, Long> largest = new TreeMap<>();
        try (ZipOutputStream zipOut = new ZipOutputStream(Files.newOutputStream(zip))) {
            unzipped += root(classes, zipOut);
            for (Path jar : jars) {
                zipOut.putNextEntry(new ZipEntry("lib/" + name(jar)));
                Files.copy(jar, zipOut);
                zipOut.closeEntry();
                unzipped += Files.size(jar);
                largest.put(name(jar), Files.size(jar));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ObjectNode node = Bench.MAPPER.createObjectNode();
        try {
            node.put("zippedBytes", Files.size(zip));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        node.put("zippedMB", Bench.round(node.path("zippedBytes").asLong() / 1e6, 1));
        node.put("zippedMiB", Bench.round(node.path("zippedBytes").asLong() / 1048576.0, 1));
        node.put("unzippedBytes", unzipped);
        node.put("unzippedMB", Bench.round(unzipped / 1e6, 1));
        node.put("jars", jars.size());
        ObjectNode top = node.putObject("largestJarsBytes");
        largest.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                .forEach(e -> top.put(e.getKey(), e.getValue()));
        return node;
    }

    /** The functions' own classes at the package root, as sam build lays them out. */
    private static long root(Path classes, ZipOutputStream zipOut) throws IOException {
        long bytes = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                zipOut.putNextEntry(new ZipEntry(classes.relativize(file).toString().replace(java.io.File.separatorChar, '/')));
                bytes += Files.copy(file, zipOut);
                zipOut.closeEntry();
            }
        }
        return bytes;
    }

    static String name(Path path) {
        return path.getFileName().toString();
    }

    static List<Path> jars(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + " missing: build first (bench/run does)", e);
        }
    }

}
