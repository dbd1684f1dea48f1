package ssmreach.core;

import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The benchmark's naive baseline: the production Clients' API, written the way most samples write
 * it. No HTTP client chosen (the SDK discovers one on the classpath: Apache 5 when apache5-client
 * and netty-nio-client come with the service jars, as they do by default), no Region given (the
 * default Region provider chain), the default credential chain. Put before the functions jar on
 * the naive classpath only; the handlers are the production ones.
 */
public final class Clients {
    private Clients() {}

    public static Ec2Client ec2(Settings settings) {
        return Ec2Client.builder().build();
    }

    public static EventBridgeClient eventBridge(Settings settings) {
        return EventBridgeClient.builder().build();
    }

    public static SnsClient sns(Settings settings) {
        return SnsClient.builder().build();
    }

    public static SsmClient ssm(Settings settings) {
        return SsmClient.builder().build();
    }

    public static IamClient iam(Settings settings) {
        return IamClient.builder().build();
    }
}
