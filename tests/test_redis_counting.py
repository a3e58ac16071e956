from tests.redis_counting import count_round_trips


def test_a_pipeline_is_one_round_trip_and_a_command_is_one(redis_client):
    with count_round_trips() as trips:
        redis_client.set("{t}a", "1")  # one hash tag: one node on a Cluster
        with redis_client.pipeline() as pipe:
            for i in range(10):
                pipe.get(f"{{t}}k{i}")
            pipe.execute()
    assert trips.count == 2
