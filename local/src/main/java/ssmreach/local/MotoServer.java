package ssmreach.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The embedded default AWS: moto_server on a free loopback port. It stops with the JVM, and on its
 * own after {@link #MAX_LIFETIME} should the JVM be killed.
 */
public final class MotoServer implements AutoCloseable {
    private static final Duration MAX_LIFETIME = Duration.ofHours(2);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process process;
    private final URI endpoint;

    private MotoServer(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /** Starts moto and waits until it answers; a clear message if moto_server is not installed. */
    public static MotoServer start(Path logFile) {
        String executable = locate().orElseThrow(() -> new IllegalStateException(
                "moto_server not found on PATH nor in ~/.pyenv/shims: install it with "
                        + "'pip install \"moto[server]\"' (the AWS emulator the local environment runs on)"));
        int port = freePort();
        ProcessBuilder builder = new ProcessBuilder(List.of(
                "timeout", String.valueOf(MAX_LIFETIME.toSeconds()), executable, "-H", "127.0.0.1", "-p", String.valueOf(port)))
                .redirectErrorStream(true)
                .redirectOutput(logFile == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().put("MOTO_IAM_LOAD_MANAGED_POLICIES", "true");
        try {
            MotoServer server = new MotoServer(builder.start(), URI.create("http://127.0.0.1:" + port));
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            server.awaitReady();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + executable, e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Forgets every resource: each test and each local run starts from an empty account. */
    public void reset() {
        post("/moto-api/reset", "");
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited at start (exit code " + process.exitValue() + ")");
            }
            try {
                HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(endpoint.resolve("/moto-api/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() < 500) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for moto_server", e);
            }
            sleep(Duration.ofMillis(100));
        }
        close();
        throw new IllegalStateException("moto_server did not answer on " + endpoint + " within 60 s");
    }

    private void post(String path, String body) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(endpoint.resolve(path))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                throw new IllegalStateException("moto " + path + " answered " + response.statusCode() + ": " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static java.util.Optional<String> locate() {
        Stream<Path> candidates = Stream.concat(
                Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).filter(s -> !s.isEmpty()).map(Path::of),
                Stream.of(Path.of(System.getProperty("user.home"), ".pyenv", "shims")));
        return candidates.map(dir -> dir.resolve("moto_server")).filter(Files::isExecutable).map(Path::toString).findFirst();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
