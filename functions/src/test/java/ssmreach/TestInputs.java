package ssmreach;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.HashMap;
import java.util.Map;
import ssmreach.core.Json;
import ssmreach.core.Settings;

/** What unit tests hand the functions: the stack's settings and JSON input as Lambda passes it. */
public final class TestInputs {
    private TestInputs() {}

    /** The settings of a stack in us-east-1 of account 123456789012, with {@code extra} variables added or overriding. */
    public static Settings settings(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("AWS_REGION", "us-east-1", "ACCOUNT_ID", "123456789012"));
        env.putAll(extra);
        return Settings.from(env);
    }

    /** {@code value} as the JSON bytes of a Lambda input, written by the functions' own mapper. */
    public static byte[] json(Object value) {
        try {
            return Json.MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
