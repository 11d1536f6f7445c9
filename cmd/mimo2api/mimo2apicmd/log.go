package mimo2apicmd

import (
	"context"
	"fmt"
	"log/slog"

	klog "github.com/go-kratos/kratos/v2/log"
)

// kratosLogger lets kratos log through the gateway's slog logger.
type kratosLogger struct{ l *slog.Logger }

func (k kratosLogger) Log(level klog.Level, keyvals ...any) error {
	var lvl slog.Level
	switch level {
	case klog.LevelDebug, klog.LevelInfo:
		// kratos' own info records (config loaded, watcher stopped) are noise for operators.
		lvl = slog.LevelDebug
	case klog.LevelWarn:
		lvl = slog.LevelWarn
	case klog.LevelError, klog.LevelFatal:
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	msg := ""
	attrs := make([]any, 0, len(keyvals))
	for i := 0; i+1 < len(keyvals); i += 2 {
		if k, ok := keyvals[i].(string); ok && k == klog.DefaultMessageKey {
			msg = fmt.Sprint(keyvals[i+1])
			continue
		}
		attrs = append(attrs, fmt.Sprint(keyvals[i]), keyvals[i+1])
	}
	k.l.Log(context.Background(), lvl, msg, attrs...)
	return nil
}
