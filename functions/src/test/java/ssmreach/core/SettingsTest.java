package ssmreach.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsTest {
    private static final Map<String, String> BASE = Map.of("AWS_REGION", "us-east-1", "ACCOUNT_ID", "123456789012");

    private static Settings settings(String... pairs) {
        Map<String, String> env = new HashMap<>(BASE);
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return Settings.from(env);
    }

    @Test
    void defaults() {
        Settings settings = Settings.from(BASE);

        assertEquals("us-east-1", settings.region());
        assertEquals("123456789012", settings.accountId());
        assertEquals(List.of("ssm", "ssmmessages", "ec2messages"), settings.services());
        assertEquals(Settings.Scope.ISOLATED, settings.scope());
        assertTrue(settings.s3Gateway());
        assertTrue(settings.fixDnsAttributes());
        assertFalse(settings.dryRun());
        assertEquals(0, new BigDecimal("0.01").compareTo(settings.hourlyEndpointPriceUsd()));
        assertEquals("ssm-reach:skip", settings.optOutTagKey());
        assertEquals("default", settings.resultEventBus());
        assertEquals("", settings.resultTopicArn());
    }

    @Test
    void everyParameterIsRead() {
        Settings settings = settings("SERVICES", "ssm, ec2messages ,ec2,ssmmessages,ssm", "SCOPE", "isolated-and-egress",
                "S3_GATEWAY", "false", "DNS_ATTRIBUTES", "report", "DRY_RUN", "TRUE", "HOURLY_ENDPOINT_PRICE_USD", "0.013",
                "OPT_OUT_TAG", "team:no-ssm", "RESULT_EVENT_BUS", "ops", "RESULT_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:t");

        assertEquals(List.of("ssm", "ec2messages", "ec2", "ssmmessages"), settings.services(), "trimmed, first occurrence kept");
        assertEquals(Settings.Scope.ISOLATED_AND_EGRESS, settings.scope());
        assertFalse(settings.s3Gateway());
        assertFalse(settings.fixDnsAttributes());
        assertTrue(settings.dryRun());
        assertEquals(0, new BigDecimal("0.013").compareTo(settings.hourlyEndpointPriceUsd()));
        assertEquals("team:no-ssm", settings.optOutTagKey());
        assertEquals("ops", settings.resultEventBus());
        assertEquals("arn:aws:sns:us-east-1:123456789012:t", settings.resultTopicArn());
    }

    @Test
    void blankBooleanMeansTheDefault() {
        assertTrue(settings("S3_GATEWAY", " ").s3Gateway());
        assertFalse(settings("DRY_RUN", "").dryRun());
    }

    @Test
    void accountIsOptional() {
        assertEquals("", Settings.from(Map.of("AWS_REGION", "eu-west-1")).accountId());
    }

    @Test
    void serviceNameUsesTheRegion() {
        assertEquals("com.amazonaws.eu-central-2.ssmmessages",
                Settings.from(Map.of("AWS_REGION", "eu-central-2")).serviceName("ssmmessages"));
    }

    @ParameterizedTest(name = "{0}=''{1}''")
    @CsvSource(delimiter = '|', value = {
            "SERVICES | ssm,s3",
            "SERVICES | ssm,SSMMESSAGES",
            "SERVICES | ssm;ec2messages",
            "SERVICES | ' , '",
            "SCOPE | egress",
            "SCOPE | Isolated",
            "SCOPE | ''",
            "S3_GATEWAY | yes",
            "DRY_RUN | 1",
            "DNS_ATTRIBUTES | enable",
            "HOURLY_ENDPOINT_PRICE_USD | ten cents",
            "HOURLY_ENDPOINT_PRICE_USD | 0,01",
            "HOURLY_ENDPOINT_PRICE_USD | ''",
            "ACCOUNT_ID | 12345678901",
            "ACCOUNT_ID | 1234567890123",
            "ACCOUNT_ID | abcdefghijkl",
            "AWS_REGION | ''",
            "AWS_REGION | '  '",
    })
    void badValueIsAnInvalidConfiguration(String name, String value) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, () -> settings(name, value));

        assertTrue(e.getMessage().contains(name), e.getMessage());
    }

    @Test
    void missingRegionIsAnInvalidConfiguration() {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> Settings.from(Map.of("ACCOUNT_ID", "123456789012")));

        assertTrue(e.getMessage().contains("AWS_REGION"), e.getMessage());
    }
}
