package ssmreach.core;

import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
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
        return Ec2Client.builder().httpClient(HTTP).region(Region.of(settings.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .build();
    }

    public static EventBridgeClient eventBridge(Settings settings) {
        return EventBridgeClient.builder().httpClient(HTTP).region(Region.of(settings.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .build();
    }

    /** IAM is global: its endpoint is in the partition's global Region. */
    public static IamClient iam(Settings settings) {
        return IamClient.builder().httpClient(HTTP).region(Region.AWS_GLOBAL)
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .build();
    }

    public static SsmClient ssm(Settings settings) {
        return SsmClient.builder().httpClient(HTTP).region(Region.of(settings.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .build();
    }

    public static SnsClient sns(Settings settings) {
        return SnsClient.builder().httpClient(HTTP).region(Region.of(settings.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .build();
    }
}
