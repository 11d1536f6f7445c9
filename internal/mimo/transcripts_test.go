package mimo

// The synthetic upstream transcripts of the protocol reference (section A.10), byte for byte.
const (
	plainTranscript = `id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60
event:dialogId
data:{"content":"8170797"}

id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60
event:message
data:{"type":"text","content":""}

id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60
event:message
data:{"type":"text","content":"webSearch"}

id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60
event:message
data:{"type":"text","content":"Hello"}

id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60
event:message
data:{"type":"text","content":" there(citation:1)!"}

id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60
event:usage
data:{"promptTokens":12,"completionTokens":3,"totalTokens":15,"nativeUsage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}

id:5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60
event:finish
data:{"type":null,"content":"[DONE]","usage":null}

`

	reasoningTranscript = `event:dialogId
data:{"content":"30193626"}

event:message
data:{"type":"text","content":"<thi"}

event:message
data:{"type":"text","content":"nk>\u0000Let me add 2 and 2"}

event:message
data:{"type":"text","content":".</think>\u0000The answer"}

event:message
data:{"type":"text","content":" is 4."}

event:usage
data:{"promptTokens":20,"completionTokens":14,"totalTokens":34}

event:finish
data:{"content":"[DONE]"}

`

	toolCallTranscript = `event:dialogId
data:{"content":"42"}

event:message
data:{"type":"text","content":"I'll check.\n<|MiM"}

event:message
data:{"type":"text","content":"oML|tool_calls>\n  <|MiMoML|invoke name=\"get_weather\">\n    <|MiMoML|parameter name=\"city\"><![CDATA[北"}

event:message
data:{"type":"text","content":"京]]></|MiMoML|parameter>\n    <|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n  </|MiMoML|invoke>\n</|MiMoML|tool_calls>"}

event:usage
data:{"promptTokens":410,"completionTokens":60,"totalTokens":470}

event:finish
data:{"content":"[DONE]"}

`

	errorTranscript = `event:error
data:{"type":"text","content":"服务器繁忙，请稍后再试"}

`

	toolCallText = "I'll check.\n<|MiMoML|tool_calls>\n  <|MiMoML|invoke name=\"get_weather\">\n    <|MiMoML|parameter name=\"city\"><![CDATA[北京]]></|MiMoML|parameter>\n    <|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n  </|MiMoML|invoke>\n</|MiMoML|tool_calls>"
)
