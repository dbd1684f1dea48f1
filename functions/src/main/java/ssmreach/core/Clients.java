package ssmreach.core;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
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
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds the SDK clients once per Lambda environment: one explicit HTTP client, the Region from
 * AWS_REGION, standard retries. Endpoints come from the SDK's own AWS_ENDPOINT_URL* settings, so
 * nothing here knows about emulators.
 */
public final class Clients {
    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.create();

    private Clients() {}

    public static Ec2Client ec2(Settings settings) {
        return configure(Ec2Client.builder(), Region.of(settings.region())).build();
    }

    public static EventBridgeClient eventBridge(Settings settings) {
        return configure(EventBridgeClient.builder(), Region.of(settings.region())).build();
    }

    public static SnsClient sns(Settings settings) {
        return configure(SnsClient.builder(), Region.of(settings.region())).build();
    }

    public static SsmClient ssm(Settings settings) {
        return configure(SsmClient.builder(), Region.of(settings.region())).build();
    }

    /** IAM is global: its endpoint is in the global Region of the partition the stack runs in. */
    public static IamClient iam(Settings settings) {
        String region = settings.region();
        Region global = region.startsWith("cn-") ? Region.AWS_CN_GLOBAL
                : region.startsWith("us-gov-") ? Region.AWS_US_GOV_GLOBAL : Region.AWS_GLOBAL;
        return configure(IamClient.builder(), global).build();
    }

    private static <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder, Region region) {
        return builder.httpClient(HTTP).region(region).credentialsProvider(credentials());
    }

    /** Lambda puts the role's credentials in the environment: read them there, without walking the whole chain. */
    private static AwsCredentialsProvider credentials() {
        return System.getenv("AWS_ACCESS_KEY_ID") != null && System.getenv("AWS_SESSION_TOKEN") != null
                ? EnvironmentVariableCredentialsProvider.create()
                : DefaultCredentialsProvider.builder().build();
    }
}
