package sim

import (
	"encoding/json"
	"net/http"
	"sync"
)

// modelConfig is one entry of the bot/config model lists.
type modelConfig struct {
	Name       string     `json:"name"`
	Model      string     `json:"model"`
	Intro      intro      `json:"intro"`
	IsDefault  bool       `json:"isDefault"`
	IsNew      bool       `json:"isNew"`
	IsOmni     bool       `json:"isOmni"`
	PageType   string     `json:"pageType"`
	Generation generation `json:"generation"`
	Features   features   `json:"features"`
}

type intro struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

type generation struct {
	Temperature float64 `json:"temperature"`
	TopP        float64 `json:"topP"`
	MaxTokens   int     `json:"maxTokens"`
}

type features struct {
	WebSearch bool   `json:"webSearch"`
	Thinking  bool   `json:"thinking"`
	Scene     string `json:"scene"`
}

func chatModel(name, model, en, zh string, isDefault, isNew, omni bool) modelConfig {
	return modelConfig{
		Name: name, Model: model, Intro: intro{en, zh},
		IsDefault: isDefault, IsNew: isNew, IsOmni: omni, PageType: "chat",
		Generation: generation{Temperature: 0.8, TopP: 0.95, MaxTokens: 65536},
		Features:   features{WebSearch: true, Thinking: true, Scene: "chat"},
	}
}

func audioModel(name, model, page, en, zh string) modelConfig {
	return modelConfig{
		Name: name, Model: model, Intro: intro{en, zh}, IsNew: true, PageType: page,
		Generation: generation{Temperature: 0.6, TopP: 0.95, MaxTokens: 8192},
		Features:   features{Scene: page},
	}
}

// chatModels and allModels are the modelConfigList and modelConfigListNg entries.
var chatModels, allModels = func() ([]modelConfig, []modelConfig) {
	chat := []modelConfig{
		chatModel("MiMo-V2.5-Pro", "mimo-v2.5-pro", "Our most capable model for complex reasoning and agents", "最强推理与智能体模型", true, true, false),
		chatModel("MiMo-V2.5", "mimo-v2.5", "Fast omni-modal model for everyday tasks", "快速全模态日常模型", false, true, true),
		chatModel("MiMo-V2-Flash", "mimo-v2-flash", "Lightweight and fast", "轻量高速模型", false, false, false),
		chatModel("MiMo-V2-Omni", "mimo-v2-omni", "Understands images, audio and video", "图像、音频、视频理解", false, false, true),
	}
	all := append(chat[:len(chat):len(chat)],
		audioModel("MiMo-V2.5-TTS", "mimo-v2.5-tts", "tts", "Expressive speech synthesis", "富有表现力的语音合成"),
		audioModel("MiMo-V2.5-ASR", "mimo-v2.5-asr", "asr", "Speech recognition", "语音识别"),
	)
	return chat, all
}()

// Models returns the model ids the simulated bot/config announces in
// modelConfigListNg, chat models first.
func Models() []string {
	ids := make([]string, len(allModels))
	for i, m := range allModels {
		ids[i] = m.Model
	}
	return ids
}

// botConfigBody is the bot/config answer, built once.
var botConfigBody = sync.OnceValue(func() []byte {
	b, err := json.Marshal(result{Msg: "success", Data: map[string]any{
		"modelConfigList":   chatModels,
		"modelConfigListNg": allModels,
	}})
	if err != nil {
		panic(err) // static data
	}
	return b
})

// botConfig answers model discovery; like the upstream it needs no credentials.
func (s *Server) botConfig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(botConfigBody())
}
