package ssmreach.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Twins of a function's SDK clients, for priming: built by {@link Clients} exactly as the
 * function's own (same builders, Region, configuration), except that {@link CannedAws} answers
 * them in-process and they sign with fixed keys that are no one's. Building one resolves no
 * credentials and opens nothing; {@link #close()} closes every twin built, so nothing of them is
 * left for a snapshot to carry over.
 */
public final class Twins implements AutoCloseable {
    /** Keys of the twins only: they sign requests that never leave the process. */
    private static final StaticCredentialsProvider PRIMING_KEYS = StaticCredentialsProvider.create(
            AwsSessionCredentials.create("ASIAPRIMINGTWIN00000", "priming-secret", "priming-session"));

    private final Settings settings;
    private final CannedAws aws;
    private final Clients clients;
    private final List<SdkClient> built = new ArrayList<>();
    private Ec2Client ec2;
    private IamClient iam;
    private SsmClient ssm;
    private EventBridgeClient eventBridge;
    private SnsClient sns;
    private SfnClient states;

    Twins(Settings settings) {
        this.settings = settings;
        this.aws = new CannedAws(Map.of("region", settings.region(),
                "account", settings.accountId().isEmpty() ? "123456789012" : settings.accountId()));
        this.clients = new Clients(aws, PRIMING_KEYS);
    }

    /** The function's settings: the canned world is in its Region and account. */
    public Settings settings() {
        return settings;
    }

    public Ec2Client ec2() {
        // The function's EC2 configuration, with a pacer of its own that never waits: priming
        // leaves the function's pacer untouched and spends no time on the canned AWS's rates.
        ApiPacer unpaced = new ApiPacer(settings.apiRateShare(), nanos -> { });
        return ec2 = twin(ec2, () -> clients.build(Ec2Client.builder().overrideConfiguration(Ec2Overrides.with(unpaced)),
                Region.of(settings.region())));
    }

    public IamClient iam() {
        return iam = twin(iam, () -> clients.build(IamClient.builder(), Clients.iamRegion(settings)));
    }

    public SsmClient ssm() {
        return ssm = twin(ssm, () -> clients.build(SsmClient.builder(), Region.of(settings.region())));
    }

    public EventBridgeClient eventBridge() {
        return eventBridge = twin(eventBridge, () -> clients.build(EventBridgeClient.builder(), Region.of(settings.region())));
    }

    public SnsClient sns() {
        return sns = twin(sns, () -> clients.build(SnsClient.builder(), Region.of(settings.region())));
    }

    public SfnClient states() {
        return states = twin(states, () -> clients.build(SfnClient.builder(), Region.of(settings.region())));
    }

    /** "service:Operation" of each request the canned AWS answered, in order. */
    public List<String> answered() {
        return aws.answered();
    }

    /** "service:Operation" of each request it had no answer for (priming asked for more than reads). */
    public List<String> refused() {
        return aws.refused();
    }

    /** A canned text (a sample input) in the canned world's Region and account. */
    String fill(String text) {
        return aws.fill(text);
    }

    private <C extends SdkClient> C twin(C existing, Supplier<C> build) {
        if (existing != null) {
            return existing;
        }
        C client = build.get();
        built.add(client);
        return client;
    }

    @Override
    public void close() {
        built.forEach(SdkClient::close);
        built.clear();
    }
}
