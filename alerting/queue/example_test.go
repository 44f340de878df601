package queue_test

import (
	"fmt"
	"log"
	"os"

	"github.com/cellsentry/cellsentry/alerting/queue"
)

// The tracker appends, the publisher sends what is pending and acks what
// the broker acknowledged; a restart resumes with what was not acked.
func Example() {
	dir, err := os.MkdirTemp("", "queue-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	q, err := queue.Open(dir, queue.Options{})
	if err != nil {
		log.Fatal(err)
	}
	q.Append([]byte(`{"id":"a1","rev":0,"state":"raised"}`), false)
	q.Append([]byte(`{"id":"a1","rev":1,"state":"updated"}`), true)
	q.Append([]byte(`{"id":"a2","rev":0,"state":"raised"}`), false)

	recs, _ := q.Pending(nil, 0, 10)
	q.Ack(recs[2].Seq) // PUBACKs may come in any order
	q.Ack(recs[0].Seq)
	q.Close()

	q, err = queue.Open(dir, queue.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	recs, _ = q.Pending(nil, 0, 10)
	for _, r := range recs {
		fmt.Println(r.Seq, string(r.Data))
	}
	seq, _ := q.Append([]byte(`{"id":"a1","rev":2,"state":"cleared"}`), false)
	fmt.Println("next", seq, "depth", q.Stats().Depth)
	// Output:
	// 2 {"id":"a1","rev":1,"state":"updated"}
	// next 4 depth 2
}
