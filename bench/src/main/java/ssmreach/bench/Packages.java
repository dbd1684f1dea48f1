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
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The deployment package as {@code sam build} makes it for a Maven function: the function's classes
 * at the root and its runtime dependency jars under {@code lib/}, zipped. All ten functions share one
 * CodeUri, so each ships the same package. The naive package is the same with the SDK's default HTTP
 * clients (apache5-client, netty-nio-client and their dependencies) instead of url-connection-client.
 */
final class Packages {
    static final long TARGET_ZIPPED_BYTES = 40L * 1024 * 1024;

    private Packages() {}

    static ObjectNode measure(Path target, Path out) {
        List<Path> ours = jars(target.resolve("lib-ours"));
        List<Path> naive = new ArrayList<>(ours.stream().filter(p -> !name(p).startsWith("url-connection-client")).toList());
        naive.addAll(jars(target.resolve("lib-naive")));
        ObjectNode node = Bench.MAPPER.createObjectNode();
        node.set("ours", zip(ours, out.resolve("package-ours.zip")));
        node.set("naive", zip(naive, out.resolve("package-naive.zip")));
        node.put("ratio", Bench.round(node.path("ours").path("zippedBytes").asDouble() / node.path("naive").path("zippedBytes").asDouble(), 2));
        node.put("targetZippedBytes", TARGET_ZIPPED_BYTES);
        node.put("functionsSharingThePackage", ColdStart.ALL_FUNCTIONS.size());
        return node;
    }

    private static ObjectNode zip(List<Path> jars, Path zip) {
        long unzipped = 0;
        Map<String, Long> largest = new TreeMap<>();
        try (ZipOutputStream zipOut = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (Path jar : jars) {
                if (name(jar).startsWith("ssm-reach-functions")) {
                    unzipped += unpack(jar, zipOut);
                } else {
                    zipOut.putNextEntry(new ZipEntry("lib/" + name(jar)));
                    Files.copy(jar, zipOut);
                    zipOut.closeEntry();
                    unzipped += Files.size(jar);
                }
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
        node.put("zippedMiB", Bench.round(node.path("zippedBytes").asLong() / 1048576.0, 1));
        node.put("unzippedBytes", unzipped);
        node.put("unzippedMiB", Bench.round(unzipped / 1048576.0, 1));
        node.put("jars", jars.size());
        ObjectNode top = node.putObject("largestJarsBytes");
        largest.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                .forEach(e -> top.put(e.getKey(), e.getValue()));
        return node;
    }

    /** The function's own classes at the package root, as sam build lays them out. */
    private static long unpack(Path jar, ZipOutputStream zipOut) throws IOException {
        long bytes = 0;
        try (ZipFile file = new ZipFile(jar.toFile())) {
            for (ZipEntry entry : file.stream().toList()) {
                if (entry.isDirectory()) {
                    continue;
                }
                zipOut.putNextEntry(new ZipEntry(entry.getName()));
                try (var in = file.getInputStream(entry)) {
                    bytes += in.transferTo(zipOut);
                }
                zipOut.closeEntry();
            }
        }
        return bytes;
    }

    private static String name(Path path) {
        return path.getFileName().toString();
    }

    private static List<Path> jars(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + " missing: build first (bench/run does)", e);
        }
    }

}
