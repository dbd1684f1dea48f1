package ssmreach.result;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.CreateTagsResponse;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.PublishRequest;
import software.amazon.awssdk.services.sns.model.PublishResponse;
import ssmreach.contract.Result;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.WorkflowState;
import software.amazon.awssdk.core.exception.SdkException;
import ssmreach.core.AwsErrors;
import ssmreach.core.Clients;
import ssmreach.core.Json;
import ssmreach.core.JsonHandler;
import ssmreach.core.RetryableAwsException;
import ssmreach.core.Settings;
import ssmreach.core.Twins;

/**
 * Last state, on success and on failure alike: tags the target subnets with what was found and
 * done (not in a dry run, not after a failure), then publishes the result document to EventBridge
 * (source {@code ssm-reach}) and SNS. The document is the execution's output.
 */
public class ReportHandler extends JsonHandler<WorkflowState, Result> {
    public static final String EVENT_SOURCE = "ssm-reach";
    public static final String DETAIL_TYPE = "SSM Reach Result";

    private final Settings settings;
    private final Ec2Client ec2;
    private final EventBridgeClient events;
    private final SnsClient sns;
    private final ResultBuilder builder;

    public ReportHandler() {
        this(Settings.fromEnvironment());
    }

    private ReportHandler(Settings settings) {
        this(settings, Clients.ec2(settings), Clients.eventBridge(settings), Clients.sns(settings), Clock.systemUTC());
        primeBeforeSnapshot(settings);
    }

    public ReportHandler(Settings settings, Ec2Client ec2, EventBridgeClient events, SnsClient sns, Clock clock) {
        super(WorkflowState.class);
        this.settings = settings;
        this.ec2 = ec2;
        this.events = events;
        this.sns = sns;
        this.builder = new ResultBuilder(settings, clock);
    }

    /**
     * The result's building and mapping, and the requests {@link #handle} would send, built but
     * never sent: all three change something (tags, an event, a message). Each client is primed
     * instead with a read through the same protocol, signing and HTTP path.
     */
    @Override
    protected void prime(Twins twins) throws IOException {
        for (WorkflowState state : samples(twins)) {
            Result result = builder.build(state);
            String document = document(result);
            changes(state, result).forEach((tags, subnetIds) -> tagging(subnetIds, tags));
            event(document);
            message(result, document);
        }
        // What AWS answers them, as the SDK builds it from the answer.
        CreateTagsResponse.builder().build();
        PutEventsResponse.builder().failedEntryCount(0).entries(e -> e.eventId("priming")).build();
        PublishResponse.builder().messageId("priming").build();
        twins.ec2().describeTags(r -> r.filters(f -> f.name("resource-type").values("subnet")));
        twins.eventBridge().describeEventBus(r -> r.name(settings.resultEventBus()));
        twins.sns().getTopicAttributes(r -> r.topicArn("arn:aws:sns:" + settings.region() + ":" + settings.accountId() + ":priming"));
    }

    @Override
    public Result handle(WorkflowState state) {
        Result result = builder.build(state);
        changes(state, result).forEach(this::tag);
        publish(result);
        // Once published: a Report retried after a failed publish counts once.
        Metrics.documents(result, settings.stackName()).forEach(System.out::println);
        return result;
    }

    /**
     * The target subnets to tag, by distinct set of changes: one CreateTags each, however many
     * subnets share it. None in a dry run or after a failure.
     */
    private static Map<Map<String, String>, List<String>> changes(WorkflowState state, Result result) {
        Map<Map<String, String>, List<String>> subnetsByChanges = new LinkedHashMap<>();
        if (!result.dryRun() && state.error() == null && state.classification() != null) {
            for (SubnetClassification subnet : state.classification().subnets()) {
                Map<String, String> changes = SubnetTags.changes(subnet, result);
                if (!changes.isEmpty()) {
                    subnetsByChanges.computeIfAbsent(changes, c -> new ArrayList<>()).add(subnet.subnetId());
                }
            }
        }
        return subnetsByChanges;
    }

    /**
     * A subnet deleted since it was classified has nothing to tag: the others are tagged one by
     * one, and the result still goes out.
     */
    private void tag(Map<String, String> tags, List<String> subnetIds) {
        try {
            ec2.createTags(tagging(subnetIds, tags));
        } catch (SdkException e) {
            if (!AwsErrors.isNotFound(e)) {
                throw e;
            }
            if (subnetIds.size() > 1) {
                subnetIds.forEach(id -> tag(tags, List.of(id)));
            }
        }
    }

    private static CreateTagsRequest tagging(List<String> subnetIds, Map<String, String> tags) {
        List<Tag> list = tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
        return CreateTagsRequest.builder().resources(subnetIds).tags(list).build();
    }

    private void publish(Result result) {
        String document = document(result);
        System.out.println(document);
        PutEventsResponse sent = events.putEvents(event(document));
        if (sent.failedEntryCount() != null && sent.failedEntryCount() > 0) {
            throw new RetryableAwsException("EventBridge refused the result: " + sent.entries().getFirst().errorCode());
        }
        if (!settings.resultTopicArn().isEmpty()) {
            sns.publish(message(result, document));
        }
    }

    private static String document(Result result) {
        try {
            return Json.MAPPER.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("result not serializable", e);
        }
    }

    private PutEventsRequest event(String document) {
        return PutEventsRequest.builder().entries(e -> e.source(EVENT_SOURCE).detailType(DETAIL_TYPE)
                .eventBusName(settings.resultEventBus()).detail(document)).build();
    }

    private PublishRequest message(Result result, String document) {
        return PublishRequest.builder().topicArn(settings.resultTopicArn()).subject(subject(result)).message(document).build();
    }

    /** At most 100 printable characters, as SNS requires. */
    static String subject(Result result) {
        String what = result.region() != null ? "sweep of " + result.region().region() + " (" + result.region().total().vpcs() + " VPCs)"
                : result.subnets().size() == 1 ? result.subnets().getFirst().subnetId()
                : result.vpcId() != null ? result.vpcId() : "input";
        String subject = "ssm-reach: " + result.outcome() + " - " + what;
        return subject.length() <= 100 ? subject : subject.substring(0, 100);
    }
}
