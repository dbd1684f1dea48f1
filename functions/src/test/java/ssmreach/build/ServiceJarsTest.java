package ssmreach.build;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * The EC2 jar cut to what the functions' classes can load (ServiceJars, src/build): what must
 * stay, what goes, and that the client still verifies and loads on it alone.
 */
class ServiceJarsTest {
    private static final String MODEL = "software/amazon/awssdk/services/ec2/model/";
    private static Path whole;
    private static Path cut;
    private static Set<String> kept;

    @BeforeAll
    static void cutTheEc2Jar(@TempDir Path dir) throws Exception {
        whole = Path.of(Ec2Client.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        // As the package phase runs it (the tool is compiled apart from the functions, in target/build-classes).
        Class.forName("ssmreach.build.ServiceJars").getMethod("main", String[].class)
                .invoke(null, (Object) new String[] {"target/classes", dir.toString(), "ec2"});
        cut = dir.resolve("software.amazon.awssdk." + whole.getFileName());
        try (JarFile jar = new JarFile(cut.toFile())) {
            kept = jar.stream().map(e -> e.getName()).collect(Collectors.toSet());
        }
    }

    @Test
    void anOperationTheFunctionsCallKeepsItsRequestResponseMarshallerAndShapes() {
        for (String name : List.of(MODEL + "DescribeVpcsRequest.class", MODEL + "DescribeVpcsRequest$BuilderImpl.class",
                MODEL + "DescribeVpcsResponse.class", MODEL + "DescribeVpcsResponse$BuilderImpl.class", MODEL + "Vpc.class",
                MODEL + "VpcCidrBlockAssociation.class", "software/amazon/awssdk/services/ec2/transform/DescribeVpcsRequestMarshaller.class",
                "software/amazon/awssdk/services/ec2/paginators/DescribeInstancesIterable.class")) {
            assertTrue(kept.contains(name), name);
        }
    }

    @Test
    void aMutationOnlyEverSentKeepsItsMarshallerAndResponseToo() {
        assertTrue(kept.contains("software/amazon/awssdk/services/ec2/transform/CreateVpcEndpointRequestMarshaller.class"));
        assertTrue(kept.contains(MODEL + "CreateVpcEndpointResponse$BuilderImpl.class"));
        assertTrue(kept.contains(MODEL + "VpcEndpoint.class"));
    }

    @Test
    void anOperationNoFunctionCallsKeepsOnlyItsRequestClass() {
        assertTrue(kept.contains(MODEL + "CreateVpnGatewayRequest.class"), "the client's verification loads it");
        assertFalse(kept.contains(MODEL + "CreateVpnGatewayRequest$BuilderImpl.class"));
        assertFalse(kept.contains(MODEL + "CreateVpnGatewayResponse.class"));
        assertFalse(kept.contains("software/amazon/awssdk/services/ec2/transform/CreateVpnGatewayRequestMarshaller.class"));
        assertFalse(kept.contains(MODEL + "VpnGateway.class"));
    }

    @Test
    void theClientExceptionsAndResourcesStay() {
        assertTrue(kept.contains("software/amazon/awssdk/services/ec2/DefaultEc2Client.class"));
        assertTrue(kept.contains(MODEL + "Ec2Exception.class"));
        assertTrue(kept.contains("META-INF/LICENSE.txt") && kept.contains("META-INF/NOTICE.txt"));
        assertTrue(kept.contains("META-INF/software.amazon.awssdk/ec2/version.properties"));
    }

    @Test
    void theCutJarIsAFractionOfTheWholeOne() throws IOException {
        assertTrue(Files.size(cut) * 2 < Files.size(whole), Files.size(cut) + " of " + Files.size(whole) + " bytes");
    }

    /**
     * The JVM verifies the client when it links it: every class that needs must be in the cut jar.
     * (Reflecting over all its methods would need every response class; nothing in the functions'
     * path does, and ShippedPackageIT runs them all on the cut jars.)
     */
    @Test
    void theClientLinksOnTheCutJarAlone() throws Exception {
        List<URL> path = new ArrayList<>(List.of(cut.toUri().toURL()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!Path.of(entry).equals(whole)) {
                path.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(path.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> client = assertDoesNotThrow(() -> Class.forName("software.amazon.awssdk.services.ec2.DefaultEc2Client", true, loader));
            assertTrue(client.getProtectionDomain().getCodeSource().getLocation().toURI().equals(cut.toUri()), "loaded from the cut jar");
        }
    }
}
