package ssmreach.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds the SDK clients once per Lambda environment: one explicit HTTP client, the Region from
 * AWS_REGION, standard retries (more attempts for EC2, {@link Ec2Overrides}), one credentials
 * provider shared by every client. Endpoints come from the SDK's own AWS_ENDPOINT_URL* settings,
 * so nothing here knows about emulators.
 */
public final class Clients {
    static {
        // Before the first SDK class logs: its warnings as JSON lines, nothing below.
        JsonLogHandler.install();
    }

    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.create();
    /** The function's own environment; built at init, so also what a SnapStart snapshot holds. */
    private static final Clients LAMBDA = new Clients(System::getenv);

    /** One pacer per share (there is one share per function): every EC2 client of the environment shares it. */
    private static final Map<Double, ApiPacer> PACERS = new ConcurrentHashMap<>();

    private final SdkHttpClient http;
    private final AwsCredentialsProvider credentials;

    /** Clients for the process environment {@code environment} (a variable's value by name, null when unset). */
    Clients(Function<String, String> environment) {
        this(HTTP, credentials(environment));
    }

    /**
     * Clients configured as the function's own but sent through {@code http} and signed with
     * {@code credentials}: what SnapStart priming builds its twins with ({@link Twins}).
     */
    Clients(SdkHttpClient http, AwsCredentialsProvider credentials) {
        this.http = http;
        this.credentials = credentials;
    }

    /** EC2, paced to the stack's share of each API's rate ({@link ApiPacer}; one pacer per function environment). */
    public static Ec2Client ec2(Settings settings) {
        return LAMBDA.build(Ec2Client.builder().overrideConfiguration(Ec2Overrides.with(pacer(settings))), Region.of(settings.region()));
    }

    static ApiPacer pacer(Settings settings) {
        return PACERS.computeIfAbsent(settings.apiRateShare(), ApiPacer::new);
    }

    public static EventBridgeClient eventBridge(Settings settings) {
        return LAMBDA.build(EventBridgeClient.builder(), Region.of(settings.region()));
    }

    public static SnsClient sns(Settings settings) {
        return LAMBDA.build(SnsClient.builder(), Region.of(settings.region()));
    }

    public static SsmClient ssm(Settings settings) {
        return LAMBDA.build(SsmClient.builder(), Region.of(settings.region()));
    }

    public static SfnClient sfn(Settings settings) {
        return LAMBDA.build(SfnClient.builder(), Region.of(settings.region()));
    }

    public static IamClient iam(Settings settings) {
        return LAMBDA.build(IamClient.builder(), iamRegion(settings));
    }

    /** IAM is global: its endpoint is in the global Region of the partition the stack runs in. */
    static Region iamRegion(Settings settings) {
        String region = settings.region();
        return region.startsWith("cn-") ? Region.AWS_CN_GLOBAL
                : region.startsWith("us-gov-") ? Region.AWS_US_GOV_GLOBAL : Region.AWS_GLOBAL;
    }

    <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C build(B builder, Region region) {
        return builder.httpClient(http).region(region).credentialsProvider(credentials).build();
    }

    /**
     * Where a function's credentials are, read from its environment without walking the whole chain.
     * A SnapStart function gets them from the runtime's container endpoint
     * (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN) and has no access
     * keys in its environment. The container provider reads the endpoint and token when it fetches
     * and fetches again once what it holds goes stale, so a provider chosen before the snapshot still
     * works after any restore. A plain function has the role's keys in its environment. Anything else
     * (a developer's machine, a test) gets the SDK's default chain.
     */
    static AwsCredentialsProvider credentials(Function<String, String> environment) {
        if (isSet(environment.apply("AWS_CONTAINER_CREDENTIALS_FULL_URI"))) {
            return ContainerCredentialsProvider.builder().build();
        }
        if (isSet(environment.apply("AWS_ACCESS_KEY_ID")) && isSet(environment.apply("AWS_SESSION_TOKEN"))) {
            return EnvironmentVariableCredentialsProvider.create();
        }
        return DefaultCredentialsProvider.builder().build();
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }
}
