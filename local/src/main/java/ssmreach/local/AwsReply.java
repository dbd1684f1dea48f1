package ssmreach.local;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** An HTTP answer the proxy gives itself, in place of moto's. */
record AwsReply(int status, String contentType, byte[] body) {
    static final String IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";

    static AwsReply xml(int status, String xml) {
        return new AwsReply(status, "text/xml", ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + xml).getBytes(StandardCharsets.UTF_8));
    }

    /** A Query-protocol (IAM) error: {@code ErrorResponse/Error/{Type,Code,Message}} and the request id. */
    static AwsReply iamError(int status, String code, String message) {
        return xml(status, "<ErrorResponse xmlns=\"" + IAM_NAMESPACE + "\"><Error><Type>" + (status >= 500 ? "Receiver" : "Sender")
                + "</Type><Code>" + code + "</Code><Message>" + escape(message) + "</Message></Error><RequestId>"
                + UUID.randomUUID() + "</RequestId></ErrorResponse>");
    }

    static AwsReply json(int status, String json) {
        return new AwsReply(status, "application/x-amz-json-1.1", json.getBytes(StandardCharsets.UTF_8));
    }

    /** A JSON-protocol (SSM) error: {@code {"__type": …, "message": …}}. */
    static AwsReply jsonError(int status, String type, String message) {
        return json(status, new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("__type", type).put("message", message).toString());
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
