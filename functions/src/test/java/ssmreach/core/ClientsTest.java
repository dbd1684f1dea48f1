package ssmreach.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.awscore.AwsClient;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import ssmreach.TestInputs;

class ClientsTest {
    /** What Lambda sets for a SnapStart function's Java runtime: container credentials, no access keys. */
    private static final Map<String, String> SNAPSTART_FUNCTION = Map.of(
            "AWS_REGION", "eu-west-1",
            "AWS_LAMBDA_FUNCTION_NAME", "ssm-reach-ClassifySubnetsFunction",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/2021-04-23/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token");
    /** A function without SnapStart: the role's session credentials in the environment. */
    private static final Map<String, String> PLAIN_FUNCTION = Map.of(
            "AWS_REGION", "eu-west-1",
            "AWS_LAMBDA_FUNCTION_NAME", "ssm-reach-ClassifySubnetsFunction",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand",
            "AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE00",
            "AWS_SECRET_ACCESS_KEY", "secret",
            "AWS_SESSION_TOKEN", "session-token");
    /** A developer's shell: a named profile, no keys, no container endpoint. */
    private static final Map<String, String> DEVELOPER_MACHINE = Map.of(
            "AWS_REGION", "eu-west-1",
            "AWS_PROFILE", "platform-dev",
            "HOME", "/home/dev");

    @Test
    void aSnapStartFunctionsClientsTakeTheContainerCredentials() {
        assertEveryClientUses(ContainerCredentialsProvider.class, SNAPSTART_FUNCTION);
    }

    @Test
    void aPlainFunctionsClientsTakeTheRolesKeysFromTheEnvironment() {
        assertEveryClientUses(EnvironmentVariableCredentialsProvider.class, PLAIN_FUNCTION);
    }

    @Test
    void aDevelopersClientsTakeTheDefaultChain() {
        assertEveryClientUses(DefaultCredentialsProvider.class, DEVELOPER_MACHINE);
    }

    @Test
    void containerCredentialsWinWhereBothAreSet() {
        Map<String, String> both = new java.util.HashMap<>(PLAIN_FUNCTION);
        both.putAll(SNAPSTART_FUNCTION);

        assertInstanceOf(ContainerCredentialsProvider.class, Clients.credentials(both::get));
    }

    @Test
    void blankVariablesCountAsUnset() {
        Map<String, String> blank = Map.of("AWS_CONTAINER_CREDENTIALS_FULL_URI", " ", "AWS_ACCESS_KEY_ID", "",
                "AWS_SESSION_TOKEN", "");

        assertInstanceOf(DefaultCredentialsProvider.class, Clients.credentials(blank::get));
    }

    /**
     * The SnapStart case end to end against a stand-in for the runtime's credentials endpoint:
     * building the clients (the init phase, what the snapshot keeps) fetches nothing; the first
     * call fetches with the authorization token, and credentials that went stale are fetched again.
     * The SDK reads the endpoint and token from system properties before the environment, which is
     * how this test points it at the stand-in.
     */
    @Test
    void snapStartCredentialsAreFetchedWhenUsedAndAgainWhenStale() throws IOException {
        List<String> tokens = new CopyOnWriteArrayList<>();
        HttpServer endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        endpoint.createContext("/2021-04-23/credentials", exchange -> {
            tokens.add(exchange.getRequestHeaders().getFirst("Authorization"));
            // Expiring within the SDK's one-minute margin: stale as soon as it is held.
            String body = """
                    {"AccessKeyId": "ASIACONTAINER%d", "SecretAccessKey": "secret", "Token": "session", "Expiration": "%s"}"""
                    .formatted(tokens.size(), Instant.now().plus(30, ChronoUnit.SECONDS).truncatedTo(ChronoUnit.SECONDS));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        endpoint.start();
        String uri = "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/2021-04-23/credentials";
        System.setProperty("aws.containerCredentialsFullUri", uri);
        System.setProperty("aws.containerAuthorizationToken", "container-token");
        try {
            Clients clients = new Clients(Map.of("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token")::get);
            Ec2Client ec2 = clients.build(Ec2Client.builder(), Region.EU_WEST_1);
            assertEquals(List.of(), tokens, "nothing fetched while the clients are built");

            AwsCredentials first = resolve(ec2);
            AwsCredentials second = resolve(ec2);

            assertEquals(List.of("container-token", "container-token"), tokens);
            assertEquals("ASIACONTAINER1", first.accessKeyId());
            assertEquals("ASIACONTAINER2", second.accessKeyId(), "stale credentials are fetched again");
            assertInstanceOf(AwsSessionCredentials.class, second);
        } finally {
            System.clearProperty("aws.containerCredentialsFullUri");
            System.clearProperty("aws.containerAuthorizationToken");
            endpoint.stop(0);
        }
    }

    private static void assertEveryClientUses(Class<?> provider, Map<String, String> environment) {
        Clients clients = new Clients(environment::get);
        Region region = Region.of(environment.get("AWS_REGION"));
        List<AwsClient> built = List.of(
                clients.build(Ec2Client.builder(), region),
                clients.build(SsmClient.builder(), region),
                clients.build(IamClient.builder(), Clients.iamRegion(TestInputs.settings(Map.of("AWS_REGION", region.id())))),
                clients.build(EventBridgeClient.builder(), region),
                clients.build(SnsClient.builder(), region));
        IdentityProvider<?> shared = built.getFirst().serviceClientConfiguration().credentialsProvider();
        assertInstanceOf(provider, shared);
        for (AwsClient client : built) {
            assertSame(shared, client.serviceClientConfiguration().credentialsProvider(),
                    client.serviceName() + " shares the one provider");
            client.close();
        }
    }

    private static AwsCredentials resolve(Ec2Client ec2) {
        return ((software.amazon.awssdk.auth.credentials.AwsCredentialsProvider) ec2.serviceClientConfiguration()
                .credentialsProvider()).resolveCredentials();
    }
}
