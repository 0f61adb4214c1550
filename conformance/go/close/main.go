// Closing connections with the Go client (rabbitmq/amqp091-go), as its own TestConcurrentClose
// does: many goroutines call Close() at once, and a publisher closes right after a burst. Each
// Close() must return nil, ErrClosed or a net error; an *amqp.Error (e.g. 501 "EOF", the broker
// dropping the socket right after close-ok) is a failure. A third round closes a channel while the
// broker's channel.close for an error crosses it: the connection must stay usable. Prints one JSON
// line with the outcome.
//
// usage: close AMQP_URL
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

type result struct {
	Rounds   int      `json:"rounds"`
	Failures []string `json:"failures"`
}

// closeConcurrently opens a connection and closes it from 32 goroutines at once.
func closeConcurrently(url string) ([]string, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	const concurrency = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	wg.Add(concurrency)
	for i := 0; i < concurrency; i++ {
		go func() {
			defer wg.Done()
			err := conn.Close()
			if err == nil || errors.Is(err, amqp.ErrClosed) {
				return
			}
			var netErr *net.OpError
			if errors.As(err, &netErr) {
				return
			}
			mu.Lock()
			failures = append(failures, fmt.Sprintf("concurrent Close(): %v", err))
			mu.Unlock()
		}()
	}
	wg.Wait()
	return failures, nil
}

// closeAfterBurst publishes a burst without waiting for anything, then closes.
func closeAfterBurst(url string) ([]string, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 1024)
	for i := 0; i < 2000; i++ {
		if err := ch.Publish("", q.Name, false, false, amqp.Publishing{Body: body}); err != nil {
			return []string{fmt.Sprintf("publish: %v", err)}, nil
		}
	}
	if err := conn.Close(); err != nil {
		return []string{fmt.Sprintf("Close() after a burst: %v", err)}, nil
	}
	return nil, nil
}

// closeAcrossChannelError publishes to a missing exchange and closes the channel at once, so the
// client's channel.close crosses the broker's 404 channel.close; the connection must carry on. It
// is checked on a channel opened beforehand: a channel opened afterwards would reuse the closed
// one's number, and amqp091-go 1.5 can take the broker's late close-ok for the new channel's
// open-ok and wait for ever — against RabbitMQ too.
func closeAcrossChannelError(url string) ([]string, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	other, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	_ = ch.Publish("warren-go-missing-exchange", "k", false, false, amqp.Publishing{Body: []byte("x")})
	_ = ch.Close()
	if _, err := other.QueueDeclare("", false, true, true, false, nil); err != nil {
		return []string{fmt.Sprintf("queue.declare after a crossed channel.close: %v", err)}, nil
	}
	return nil, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: close AMQP_URL")
		os.Exit(2)
	}
	url := os.Args[1]
	res := result{Failures: []string{}}
	for i := 0; i < 20; i++ {
		for _, round := range []func(string) ([]string, error){closeConcurrently, closeAfterBurst, closeAcrossChannelError} {
			failures, err := round(url)
			if err != nil {
				fmt.Fprintln(os.Stderr, "setup failed:", err)
				os.Exit(1)
			}
			res.Rounds++
			res.Failures = append(res.Failures, failures...)
		}
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
