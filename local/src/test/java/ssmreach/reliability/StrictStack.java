package ssmreach.reliability;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import ssmreach.core.Ec2Overrides;
import software.amazon.awssdk.services.ssm.SsmClient;
import ssmreach.core.Settings;
import ssmreach.local.CallLog;
import ssmreach.local.FaultInjector;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.SsmFleet;
import ssmreach.local.StrictAwsProxy;
import ssmreach.local.StrictEc2Rules;
import ssmreach.local.iam.StackDeployment;

/**
 * The functions and the workflow behind a strictness proxy of the test's own, on the emulator of
 * {@link ssmreach.testing.LocalAwsExtension}: the rules and faults are this test's, and so is the
 * record of calls. Clients are configured as the functions configure theirs (the SDK's default
 * retries), only pointed at the proxy.
 */
final class StrictStack implements AutoCloseable {
    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.create();

    final StrictAwsProxy proxy;
    final CallLog calls = new CallLog();
    private final LocalAws aws;
    private final List<LocalWorkflow> workflows = new CopyOnWriteArrayList<>();

    StrictStack(LocalAws aws, StrictEc2Rules.Config rules, FaultInjector faults) {
        this.aws = aws;
        this.proxy = new StrictAwsProxy(aws.motoEndpoint(), SsmFleet.DEFAULT_REGISTRATION_DELAY, rules, faults);
    }

    FaultInjector faults() {
        return proxy.faults();
    }

    Ec2Client ec2() {
        return configure(Ec2Client.builder()).build();
    }

    /** The workflow with the default settings, its results published to a topic of the emulator. */
    LocalWorkflow workflow() {
        String topic = aws.inspectSns().createTopic(r -> r.name("ssm-reach-results")).topicArn();
        return workflow(LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic)));
    }

    /**
     * The workflow with the real handlers, the stack deployed to this proxy with these settings:
     * each function's clients recorded, pointed at this proxy and signed as its own role; closed with the stack.
     */
    LocalWorkflow workflow(Settings settings) {
        StackDeployment deployment = StackDeployment.deploy(LocalWorkflow.template(), proxy.authorizer(), aws.inspectIam(), settings,
                LocalFunctions.instanceRoleArn());
        LocalWorkflow workflow = new LocalWorkflow(LocalFunctions.create(settings, function -> {
            AwsCredentialsProvider credentials = deployment.credentials(function);
            ssmreach.core.ApiPacer pacer = new ssmreach.core.ApiPacer(settings.apiRateShare());
            Ec2Client ec2 = configure(Ec2Client.builder(), credentials).overrideConfiguration(Ec2Overrides.with(pacer)
                    .andThen(c -> c.addExecutionInterceptor(calls).apiCallTimeout(Duration.ofSeconds(60)))).build();
            return new LocalFunctions.Clients(ec2,
                    configure(IamClient.builder(), credentials).build(), configure(SsmClient.builder(), credentials).build(),
                    configure(EventBridgeClient.builder(), credentials).build(), configure(SnsClient.builder(), credentials).build(),
                    configure(SfnClient.builder(), credentials).build());
        }), proxy.executions());
        workflows.add(workflow);
        return workflow;
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder) {
        return configure(builder, LocalAws.ADMINISTRATOR);
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder, AwsCredentialsProvider credentials) {
        URI endpoint = proxy.endpoint();
        return builder.httpClient(HTTP).region(LocalAws.REGION).endpointOverride(endpoint)
                .credentialsProvider(credentials)
                .overrideConfiguration(ClientOverrideConfiguration.builder().addExecutionInterceptor(calls)
                        .apiCallTimeout(Duration.ofSeconds(60)).build());
    }

    @Override
    public void close() {
        workflows.forEach(LocalWorkflow::close);
        proxy.close();
    }
}
