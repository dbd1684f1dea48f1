package ssmreach.result;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.sns.SnsClient;
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
    }

    public ReportHandler(Settings settings, Ec2Client ec2, EventBridgeClient events, SnsClient sns, Clock clock) {
        super(WorkflowState.class);
        this.settings = settings;
        this.ec2 = ec2;
        this.events = events;
        this.sns = sns;
        this.builder = new ResultBuilder(settings, clock);
    }

    @Override
    public Result handle(WorkflowState state) {
        Result result = builder.build(state);
        if (!result.dryRun() && state.error() == null && state.classification() != null) {
            // One CreateTags per distinct set of changes, however many subnets share it.
            Map<Map<String, String>, List<String>> subnetsByChanges = new LinkedHashMap<>();
            for (SubnetClassification subnet : state.classification().subnets()) {
                Map<String, String> changes = SubnetTags.changes(subnet, result);
                if (!changes.isEmpty()) {
                    subnetsByChanges.computeIfAbsent(changes, c -> new ArrayList<>()).add(subnet.subnetId());
                }
            }
            subnetsByChanges.forEach((changes, subnetIds) -> tag(subnetIds, changes));
        }
        publish(result);
        return result;
    }

    /**
     * A subnet deleted since it was classified has nothing to tag: the others are tagged one by
     * one, and the result still goes out.
     */
    private void tag(List<String> subnetIds, Map<String, String> tags) {
        List<Tag> list = tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
        try {
            ec2.createTags(r -> r.resources(subnetIds).tags(list));
        } catch (SdkException e) {
            if (!AwsErrors.isNotFound(e)) {
                throw e;
            }
            if (subnetIds.size() > 1) {
                subnetIds.forEach(id -> tag(List.of(id), tags));
            }
        }
    }

    private void publish(Result result) {
        String document;
        try {
            document = Json.MAPPER.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("result not serializable", e);
        }
        System.out.println(document);
        PutEventsResponse sent = events.putEvents(r -> r.entries(e -> e.source(EVENT_SOURCE).detailType(DETAIL_TYPE)
                .eventBusName(settings.resultEventBus()).detail(document)));
        if (sent.failedEntryCount() != null && sent.failedEntryCount() > 0) {
            throw new RetryableAwsException("EventBridge refused the result: " + sent.entries().getFirst().errorCode());
        }
        if (!settings.resultTopicArn().isEmpty()) {
            sns.publish(r -> r.topicArn(settings.resultTopicArn()).subject(subject(result)).message(document));
        }
    }

    /** At most 100 printable characters, as SNS requires. */
    static String subject(Result result) {
        String what = result.subnets().size() == 1 ? result.subnets().getFirst().subnetId()
                : result.vpcId() != null ? result.vpcId() : "input";
        String subject = "ssm-reach: " + result.outcome() + " - " + what;
        return subject.length() <= 100 ? subject : subject.substring(0, 100);
    }
}
