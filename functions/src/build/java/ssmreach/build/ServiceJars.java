package ssmreach.build;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes the AWS SDK service jars the functions ship, each cut to what the functions can load.
 * A service jar holds the model of every operation of its API (EC2: 13,600 classes, 26 MB, for
 * the few dozen operations used here); the deployment package is mostly those.
 *
 * <p>What a cut jar keeps, everything else being left as it is (client, builders, endpoint rules,
 * auth, internals, waiters, resources):
 * <ul>
 *   <li>in {@code model/}, every operation's top-level request class: the JVM loads them all when
 *       it verifies the client (each client method passes its request as an {@code SdkRequest}), but
 *       without their builders or fields, which stay out unless needed;</li>
 *   <li>every modelled exception (the client builds them by error code);</li>
 *   <li>for each operation the functions' classes name (its request, builder or response), the
 *       request, response, their builders and the marshaller;</li>
 *   <li>every class referenced from what is kept, transitively (constant pools, descriptors and
 *       signatures included), except through the four client classes, which name every operation,
 *       and through the requests of operations not used.</li>
 * </ul>
 * The functions' tests and the shipped-package test in local/ run on the cut jars.
 *
 * <p>Arguments: the functions' classes folder, the output folder, then the services (artifact ids,
 * e.g. {@code ec2}). Each jar is found on this program's class path.
 */
public final class ServiceJars {
    private static final String SERVICES = "software/amazon/awssdk/services/";
    private static final int[] CONSTANT_SIZES = new int[21];

    static {
        // Sizes of the constant pool entries this reader skips (after the tag), by tag.
        CONSTANT_SIZES[3] = 4;  // Integer
        CONSTANT_SIZES[4] = 4;  // Float
        CONSTANT_SIZES[5] = 8;  // Long
        CONSTANT_SIZES[6] = 8;  // Double
        CONSTANT_SIZES[7] = 2;  // Class
        CONSTANT_SIZES[8] = 2;  // String
        CONSTANT_SIZES[9] = 4;  // Fieldref
        CONSTANT_SIZES[10] = 4; // Methodref
        CONSTANT_SIZES[11] = 4; // InterfaceMethodref
        CONSTANT_SIZES[12] = 4; // NameAndType
        CONSTANT_SIZES[15] = 3; // MethodHandle
        CONSTANT_SIZES[16] = 2; // MethodType
        CONSTANT_SIZES[17] = 4; // Dynamic
        CONSTANT_SIZES[18] = 4; // InvokeDynamic
        CONSTANT_SIZES[19] = 2; // Module
        CONSTANT_SIZES[20] = 2; // Package
    }

    private ServiceJars() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: ServiceJars CLASSES_DIR OUTPUT_DIR SERVICE...");
        }
        Path classes = Path.of(args[0]);
        Path output = Files.createDirectories(Path.of(args[1]));
        Map<String, byte[]> ours = classFiles(classes);
        for (String service : List.of(args).subList(2, args.length)) {
            Path jar = jarOf(service);
            Path cut = output.resolve("software.amazon.awssdk." + jar.getFileName());
            Summary summary = cut(jar, service, ours.values(), cut);
            System.out.printf("[ssm-reach] %s: %d of %d classes kept, %.1f MB -> %.1f MB (%s)%n", jar.getFileName(), summary.kept(),
                    summary.classes(), Files.size(jar) / 1e6, Files.size(cut) / 1e6, output.relativize(cut));
        }
    }

    /** Counts of one cut: classes kept, classes in the jar. */
    record Summary(int kept, int classes) {}

    /** Writes {@code jar} cut to what {@code roots} (class files) can load into {@code cut}. */
    static Summary cut(Path jar, String service, Iterable<byte[]> roots, Path cut) throws IOException {
        String base = SERVICES + service + "/";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (JarFile in = new JarFile(jar.toFile())) {
            for (JarEntry entry : in.stream().toList()) {
                if (!entry.isDirectory()) {
                    try (InputStream stream = in.getInputStream(entry)) {
                        entries.put(entry.getName(), stream.readAllBytes());
                    }
                }
            }
        }
        Pattern reference = Pattern.compile(Pattern.quote(base) + "[A-Za-z0-9_$/]+");
        Set<String> hubs = new HashSet<>();
        Set<String> kept = new HashSet<>();
        Set<String> lazy = new HashSet<>();
        Deque<String> expand = new ArrayDeque<>();
        for (String name : entries.keySet()) {
            if (!name.endsWith(".class")) {
                kept.add(name);
                continue;
            }
            String relative = name.substring(base.length());
            boolean cuttable = relative.startsWith("model/") || relative.startsWith("paginators/")
                    || (relative.startsWith("transform/") && relative.indexOf('/', "transform/".length()) < 0);
            if (!relative.contains("/") && relative.matches("(Default)?[A-Za-z0-9]+?(Async)?Client\\.class")) {
                hubs.add(name);
                kept.add(name);
            } else if (relative.matches("model/[A-Za-z0-9]+Request\\.class")) {
                kept.add(name);
                lazy.add(name); // expanded only once something that is expanded names it
                supertypes(entries.get(name), base).forEach(s -> keep(s + ".class", entries, kept, lazy, expand));
            } else if (!cuttable || relative.matches("model/[A-Za-z0-9]*Exception(\\$.*)?\\.class")) {
                keep(name, entries, kept, lazy, expand);
            }
        }
        for (byte[] root : roots) {
            for (String referenced : references(root, reference)) {
                keep(referenced + ".class", entries, kept, lazy, expand);
            }
        }
        // An operation is used when its response or request builder is kept (by our classes, a
        // paginator, ...): then its marshaller and the rest of its request and response are too.
        Pattern operation = Pattern.compile(Pattern.quote(base) + "model/([A-Za-z0-9]+)(Response|Request\\$Builder)\\.class");
        Set<String> operations = new HashSet<>();
        Set<String> expanded = new HashSet<>();
        do {
            while (!expand.isEmpty()) {
                String name = expand.pop();
                if (expanded.add(name) && !hubs.contains(name)) {
                    for (String referenced : references(entries.get(name), reference)) {
                        keep(referenced + ".class", entries, kept, lazy, expand);
                    }
                }
            }
            for (String name : List.copyOf(kept)) {
                Matcher used = operation.matcher(name);
                if (used.matches() && operations.add(used.group(1))) {
                    String op = used.group(1);
                    for (String candidate : entries.keySet()) {
                        String model = base + "model/" + op;
                        if (candidate.equals(base + "transform/" + op + "RequestMarshaller.class")
                                || candidate.matches(Pattern.quote(model) + "(Request|Response)(\\$.*)?\\.class")) {
                            lazy.add(candidate);
                            keep(candidate, entries, kept, lazy, expand);
                        }
                    }
                }
            }
        } while (!expand.isEmpty());
        int classes = 0;
        int keptClasses = 0;
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(cut))) {
            for (var entry : entries.entrySet()) {
                boolean isClass = entry.getKey().endsWith(".class");
                classes += isClass ? 1 : 0;
                if (kept.contains(entry.getKey())) {
                    keptClasses += isClass ? 1 : 0;
                    out.putNextEntry(new JarEntry(entry.getKey()));
                    out.write(entry.getValue());
                    out.closeEntry();
                }
            }
        }
        return new Summary(keptClasses, classes);
    }

    /** Keeps {@code name} if the jar has it, and queues it for expansion the first time it is named. */
    private static void keep(String name, Map<String, byte[]> entries, Set<String> kept, Set<String> lazy, Deque<String> expand) {
        if (entries.containsKey(name) && (kept.add(name) | lazy.remove(name))) {
            expand.add(name);
        }
    }

    /**
     * The internal names in {@code pattern} that a class file mentions: class constants and every
     * descriptor or signature (all are UTF-8 constants), so fields, methods, lambdas and generics.
     */
    static Set<String> references(byte[] classFile, Pattern pattern) {
        Set<String> names = new HashSet<>();
        for (String utf8 : utf8Constants(classFile)) {
            Matcher matcher = pattern.matcher(utf8.replace('.', '/'));
            while (matcher.find()) {
                names.add(matcher.group());
            }
        }
        return names;
    }

    /** The superclass and interfaces of a class file that are in {@code base}. */
    private static List<String> supertypes(byte[] classFile, String base) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile))) {
            String[] utf8 = new String[readHeader(in)];
            int[] classNames = new int[utf8.length];
            readPool(in, utf8, classNames);
            in.readUnsignedShort(); // access flags
            in.readUnsignedShort(); // this class
            List<String> supers = new java.util.ArrayList<>();
            supers.add(utf8[classNames[in.readUnsignedShort()]]);
            int interfaces = in.readUnsignedShort();
            for (int i = 0; i < interfaces; i++) {
                supers.add(utf8[classNames[in.readUnsignedShort()]]);
            }
            return supers.stream().filter(s -> s != null && s.startsWith(base)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> utf8Constants(byte[] classFile) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile))) {
            String[] utf8 = new String[readHeader(in)];
            readPool(in, utf8, new int[utf8.length]);
            return Stream.of(utf8).filter(s -> s != null).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the magic number and version; returns the constant pool count. */
    private static int readHeader(DataInputStream in) throws IOException {
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        return in.readUnsignedShort();
    }

    /** Fills {@code utf8} with the UTF-8 constants and {@code classNames} with each class constant's name index. */
    private static void readPool(DataInputStream in, String[] utf8, int[] classNames) throws IOException {
        for (int i = 1; i < utf8.length; i++) {
            int tag = in.readUnsignedByte();
            if (tag == 1) {
                utf8[i] = in.readUTF();
            } else if (tag == 7) {
                classNames[i] = in.readUnsignedShort();
            } else if (tag < CONSTANT_SIZES.length && CONSTANT_SIZES[tag] > 0) {
                in.skipNBytes(CONSTANT_SIZES[tag]);
                if (tag == 5 || tag == 6) {
                    i++; // a long or double takes two entries
                }
            } else {
                throw new IOException("unknown constant pool tag " + tag);
            }
        }
    }

    /** Every class file under {@code classes}, by path. */
    private static Map<String, byte[]> classFiles(Path classes) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(classes)) {
            for (Path file : walk.filter(p -> p.toString().endsWith(".class")).toList()) {
                files.put(classes.relativize(file).toString(), Files.readAllBytes(file));
            }
        }
        return files;
    }

    /** The jar of a service on this program's class path (found by the version file each service jar has). */
    private static Path jarOf(String service) throws IOException {
        String marker = "META-INF/software.amazon.awssdk/" + service + "/version.properties";
        URL url = Thread.currentThread().getContextClassLoader().getResource(marker);
        if (url == null || !(url.openConnection() instanceof JarURLConnection jar)) {
            throw new IOException("no jar of service " + service + " on the class path (looked for " + marker + ")");
        }
        jar.setUseCaches(false);
        try {
            return Path.of(jar.getJarFileURL().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }
}
