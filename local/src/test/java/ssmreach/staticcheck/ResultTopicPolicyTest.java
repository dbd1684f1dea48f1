package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import ssmreach.local.iam.CfnIntrinsics;
import ssmreach.local.iam.DeployedStack;
import ssmreach.local.iam.PolicyEvaluator;
import ssmreach.local.iam.PolicyEvaluator.Decision;
import ssmreach.local.iam.ServiceReference;

/**
 * The result topic's policy, a resource policy that the local AWS does not consult (it authorizes
 * the functions by their identity policies, which is all a same-account publisher needs), checked
 * here with the same evaluator and reference as the roles: the Report function may publish over
 * TLS and nobody may without it; CloudWatch may publish for each of the stack's alarms that name
 * the topic, and for no other alarm.
 */
class ResultTopicPolicyTest {
    private static final String REGION = "us-east-1";
    private static final String ACCOUNT = "123456789012";
    private static final String TOPIC = "ResultTopic";
    private static final String TOPIC_ARN = "arn:aws:sns:" + REGION + ":" + ACCOUNT + ":" + DeployedStack.STACK_NAME + "-" + TOPIC;
    private static final String REPORT_PRINCIPAL = "arn:aws:sts::" + ACCOUNT + ":assumed-role/" + DeployedStack.STACK_NAME
            + "-ReportFunctionRole/" + DeployedStack.STACK_NAME + "-ReportFunction";

    /**
     * Global keys AWS sets only when a service principal calls on behalf of one of its resources
     * (IAM User Guide, global condition context keys): valid in a statement for a service principal.
     */
    private static final List<String> SERVICE_PRINCIPAL_KEYS = List.of("aws:SourceArn", "aws:SourceAccount");

    private static PolicyEvaluator evaluator;

    @BeforeAll
    static void startEvaluator() {
        evaluator = PolicyEvaluator.start(Repo.ROOT);
    }

    @AfterAll
    static void stopEvaluator() {
        evaluator.close();
    }

    @Test
    void theReportFunctionPublishesOverTlsOnly() {
        List<PolicyEvaluator.Policy> identity = DeployedStack.of(Repo.path("template.yaml"), REGION, ACCOUNT, Map.of(), Map.of())
                .functionRoles().get("ReportFunction").inline();
        PolicyEvaluator.Subject report = new PolicyEvaluator.Subject(REPORT_PRINCIPAL, ACCOUNT, identity, null, topicPolicy());

        assertEquals(Decision.ALLOWED, publish(report, Map.of("aws:SecureTransport", "true")));
        assertEquals(Decision.EXPLICITLY_DENIED, publish(report, Map.of("aws:SecureTransport", "false")));
    }

    @Test
    void cloudWatchPublishesForTheStackAlarmsThatNameTheTopicAndNoOther() {
        List<String> alarms = alarmsNotifyingTheTopic();
        assertFalse(alarms.isEmpty(), "the failed-execution alarm notifies the topic");
        PolicyEvaluator.Subject cloudWatch = new PolicyEvaluator.Subject("cloudwatch.amazonaws.com", ACCOUNT, List.of(), null, topicPolicy());
        for (String alarm : alarms) {
            assertEquals(Decision.ALLOWED, publish(cloudWatch, alarmContext(alarmArn(alarm), "true")),
                    () -> alarm + " notifies the topic, so the topic policy must let CloudWatch publish for it (StackAlarmsPublish)");
            assertEquals(Decision.EXPLICITLY_DENIED, publish(cloudWatch, alarmContext(alarmArn(alarm), "false")));
        }
        assertEquals(Decision.IMPLICITLY_DENIED, publish(cloudWatch, alarmContext(alarmArn("SomeoneElsesAlarm"), "true")));
    }

    @Test
    void everyStatementIsOneTheReferenceKnows() {
        ServiceReference reference = ServiceReference.load(Repo.ROOT);
        List<String> problems = new ArrayList<>();
        for (JsonNode statement : topicPolicy().path("Statement")) {
            List<String> keys = new ArrayList<>();
            statement.path("Condition").forEach(operator -> operator.fieldNames().forEachRemaining(keys::add));
            boolean byService = statement.path("Principal").has("Service");
            for (String actionName : Repo.strings(statement.path("Action"))) {
                reference.action(actionName).ifPresentOrElse(action -> {
                    keys.stream().filter(key -> !reference.evaluates(action, "topic", key)
                                    && !(byService && SERVICE_PRINCIPAL_KEYS.contains(key)))
                            .forEach(key -> problems.add(actionName + " on a topic does not evaluate " + key));
                    if (action.row("topic").isEmpty()) {
                        problems.add(actionName + " has no topic resource");
                    }
                }, () -> problems.add(actionName + " is not an action of the reference"));
            }
            assertEquals(List.of(TOPIC_ARN), Repo.strings(statement.path("Resource")), () -> "the topic only: " + statement);
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    private static Decision publish(PolicyEvaluator.Subject subject, Map<String, Object> context) {
        return evaluator.evaluate(subject, List.of(new PolicyEvaluator.Check("sns:Publish", TOPIC_ARN, context))).getFirst().decision();
    }

    private static Map<String, Object> alarmContext(String alarmArn, String secureTransport) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("aws:SourceArn", alarmArn);
        context.put("aws:SourceAccount", ACCOUNT);
        context.put("aws:SecureTransport", secureTransport);
        return context;
    }

    private static String alarmArn(String logicalId) {
        return "arn:aws:cloudwatch:" + REGION + ":" + ACCOUNT + ":alarm:" + DeployedStack.STACK_NAME + "-" + logicalId;
    }

    /** The alarms of the template whose actions (alarm, OK, insufficient data) name the result topic. */
    private static List<String> alarmsNotifyingTheTopic() {
        List<String> alarms = new ArrayList<>();
        Repo.resources("AWS::CloudWatch::Alarm").forEach((id, alarm) -> {
            JsonNode properties = alarm.path("Properties");
            for (String actions : List.of("AlarmActions", "OKActions", "InsufficientDataActions")) {
                if (Repo.strings(properties.path(actions)).contains(TOPIC)) {
                    alarms.add(id);
                    return;
                }
            }
        });
        return alarms;
    }

    /** The topic policy as deployed: the template's AWS::SNS::TopicPolicy on the result topic, intrinsics resolved. */
    private static JsonNode topicPolicy() {
        JsonNode processed = DeployedStack.processed(Repo.path("template.yaml"));
        List<JsonNode> policies = new ArrayList<>();
        processed.path("Resources").forEach(resource -> {
            if ("AWS::SNS::TopicPolicy".equals(resource.path("Type").asText())
                    && resource.path("Properties").path("Topics").toString().equals("[{\"Ref\":\"" + TOPIC + "\"}]")) {
                policies.add(resource.path("Properties").path("PolicyDocument"));
            }
        });
        assertEquals(1, policies.size(), "one AWS::SNS::TopicPolicy for the result topic alone");
        Map<String, String> refs = new HashMap<>(Map.of("AWS::Region", REGION, "AWS::AccountId", ACCOUNT, "AWS::Partition", "aws",
                "AWS::StackName", DeployedStack.STACK_NAME, TOPIC, TOPIC_ARN));
        Map<String, String> attributes = new HashMap<>();
        Repo.resources("AWS::CloudWatch::Alarm").keySet().forEach(id -> attributes.put(id + ".Arn", alarmArn(id)));
        return new CfnIntrinsics(refs, attributes, processed.path("Conditions")).resolve(policies.getFirst());
    }
}
