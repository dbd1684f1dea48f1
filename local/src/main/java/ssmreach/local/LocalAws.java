package ssmreach.local;

import java.net.URI;
import java.nio.file.Path;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.sts.StsClient;
import ssmreach.core.ApiPacer;
import ssmreach.core.Ec2Overrides;
import ssmreach.core.Settings;
import ssmreach.local.iam.Authorizer;
import ssmreach.local.iam.StackDeployment;

/**
 * The local AWS: moto behind the strictness proxy, and SDK clients pointed at it that record every
 * call in a {@link CallLog}. One per JVM is enough; {@link #reset()} empties the account.
 *
 * <p>The clients of {@link #ec2()} and the like sign as the account's administrator; those of
 * {@link #deploy} as each function's own role, so that the proxy authorizes the functions' calls
 * as AWS would.
 */
public final class LocalAws implements AutoCloseable {
    public static final Region REGION = Region.US_EAST_1;
    public static final String ACCOUNT_ID = "123456789012";

    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.create();
    /** The account's administrator, allowed everything: tests and the local runner acting as a person. */
    public static final AwsCredentialsProvider ADMINISTRATOR = StaticCredentialsProvider.create(
            AwsBasicCredentials.create(StrictAwsProxy.ADMIN_ACCESS_KEY, "testing"));

    private final MotoServer moto;
    private final StrictAwsProxy proxy;
    private final CallLog calls = new CallLog();

    private LocalAws(MotoServer moto, StrictAwsProxy proxy) {
        this.moto = moto;
        this.proxy = proxy;
    }

    public static LocalAws start(Path motoLog) {
        MotoServer moto = MotoServer.start(motoLog);
        LocalAws aws = new LocalAws(moto, new StrictAwsProxy(moto.endpoint()));
        aws.defaultVpcAsAwsMakesIt();
        return aws;
    }

    /**
     * AWS gives the default VPC an internet gateway and a 0.0.0.0/0 route to it in its main table
     * (its subnets are public); moto's has neither, which would make them isolated.
     */
    private void defaultVpcAsAwsMakesIt() {
        try (Ec2Client ec2 = inspectEc2()) {
            for (var vpc : ec2.describeVpcs(r -> r.filters(f -> f.name("is-default").values("true"))).vpcs()) {
                if (!ec2.describeInternetGateways(r -> r.filters(f -> f.name("attachment.vpc-id").values(vpc.vpcId())))
                        .internetGateways().isEmpty()) {
                    continue;
                }
                String igw = ec2.createInternetGateway(r -> {}).internetGateway().internetGatewayId();
                ec2.attachInternetGateway(r -> r.internetGatewayId(igw).vpcId(vpc.vpcId()));
                String main = ec2.describeRouteTables(r -> r.filters(f -> f.name("vpc-id").values(vpc.vpcId()),
                        f -> f.name("association.main").values("true"))).routeTables().getFirst().routeTableId();
                ec2.createRoute(r -> r.routeTableId(main).destinationCidrBlock("0.0.0.0/0").gatewayId(igw));
            }
        }
    }

    /** What the functions talk to. */
    public URI endpoint() {
        return proxy.endpoint();
    }

    /** moto itself, for seeding and inspection without the proxy's rules. */
    public URI motoEndpoint() {
        return moto.endpoint();
    }

    public CallLog calls() {
        return calls;
    }

    public void reset() {
        moto.reset();
        defaultVpcAsAwsMakesIt();
        proxy.fleet().reset();
        proxy.resetRules();
        proxy.executions().clear();
        proxy.authorizer().clearHistory();
        calls.clear();
    }

    /** EC2's token buckets in the proxy, and the record of every EC2 request it received. */
    public Ec2Throttling throttling() {
        return proxy.throttling();
    }

    /** Who may do what: the principals the proxy knows and its policy evaluator. */
    public Authorizer authorizer() {
        return proxy.authorizer();
    }

    /**
     * Deploys the stack with these settings: each function's role registered with the proxy, and
     * for each function (logical id) clients through the proxy, recorded, signed as that role.
     */
    public Function<String, LocalFunctions.Clients> deploy(Settings settings) {
        return deploy(settings, LocalWorkflow.template());
    }

    /** As {@link #deploy(Settings)}, from another template (e.g. one a test changed to show what a grant is for). */
    public Function<String, LocalFunctions.Clients> deploy(Settings settings, Path template) {
        StackDeployment deployment = StackDeployment.deploy(template, proxy.authorizer(), inspectIam(), settings,
                LocalFunctions.instanceRoleArn());
        return function -> clients(deployment.credentials(function), new ApiPacer(settings.apiRateShare()));
    }

    /** Clients through the proxy, recorded, signed with these credentials; EC2 paced as the function paces it. */
    public LocalFunctions.Clients clients(AwsCredentialsProvider credentials, ApiPacer pacer) {
        Ec2Client ec2 = configure(Ec2Client.builder(), endpoint(), false, credentials)
                .overrideConfiguration(Ec2Overrides.with(pacer).andThen(c -> c.addExecutionInterceptor(calls))).build();
        return new LocalFunctions.Clients(ec2,
                configure(IamClient.builder(), endpoint(), true, credentials).build(),
                configure(SsmClient.builder(), endpoint(), true, credentials).build(),
                configure(EventBridgeClient.builder(), endpoint(), true, credentials).build(),
                configure(SnsClient.builder(), endpoint(), true, credentials).build(),
                configure(SfnClient.builder(), endpoint(), true, credentials).build());
    }

    /** The faults the proxy injects (none unless configured). */
    public FaultInjector faults() {
        return proxy.faults();
    }

    /** The workflow's executions, as the local Step Functions lists them. */
    public LocalExecutions executions() {
        return proxy.executions();
    }

    /** The simulated SSM agents of the instances. */
    public SsmFleet fleet() {
        return proxy.fleet();
    }

    /** A client of the functions: through the proxy, recorded. */
    public Ec2Client ec2() {
        return configure(Ec2Client.builder(), endpoint(), true).build();
    }

    public EventBridgeClient eventBridge() {
        return configure(EventBridgeClient.builder(), endpoint(), true).build();
    }

    public SnsClient sns() {
        return configure(SnsClient.builder(), endpoint(), true).build();
    }

    public IamClient iam() {
        return configure(IamClient.builder(), endpoint(), true).build();
    }

    public SsmClient ssm() {
        return configure(SsmClient.builder(), endpoint(), true).build();
    }

    /** STS as the administrator (e.g. to decode an authorization message), through the proxy. */
    public StsClient sts() {
        return configure(StsClient.builder(), endpoint(), false).build();
    }

    /** A client for seeding and inspecting the emulator: straight to moto, not recorded. */
    public Ec2Client inspectEc2() {
        return configure(Ec2Client.builder(), moto.endpoint(), false).build();
    }

    public IamClient inspectIam() {
        return configure(IamClient.builder(), moto.endpoint(), false).build();
    }

    /** SQS of the emulator: the trigger queues, which EventBridge and the pipe (not the functions) use. */
    public SqsClient inspectSqs() {
        return configure(SqsClient.builder(), moto.endpoint(), false).build();
    }

    public SnsClient inspectSns() {
        return configure(SnsClient.builder(), moto.endpoint(), false).build();
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder, URI endpoint, boolean recorded) {
        return configure(builder, endpoint, recorded, ADMINISTRATOR);
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder, URI endpoint, boolean recorded,
                                                                                   AwsCredentialsProvider credentials) {
        builder.httpClient(HTTP).region(REGION).endpointOverride(endpoint).credentialsProvider(credentials);
        if (recorded) {
            builder.overrideConfiguration(ClientOverrideConfiguration.builder().addExecutionInterceptor(calls).build());
        }
        return builder;
    }

    @Override
    public void close() {
        proxy.close();
        moto.close();
    }
}
