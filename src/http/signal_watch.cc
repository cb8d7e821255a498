#include "http/signal_watch.h"

#include <csignal>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

namespace sesame::http {

namespace net = boost::asio;

// Asio delivers a signal to every signal_set registered for it, in every io_context, so this
// watch and the Server's own signal_set both see each SIGINT/SIGTERM.
struct SignalWatch::Impl {
  explicit Impl(std::function<void()> callback) : on_signal(std::move(callback)) {}

  std::function<void()> on_signal;
  net::io_context io{1};
  net::signal_set signals{io, SIGINT, SIGTERM};
  std::thread thread;
};

SignalWatch::SignalWatch(std::function<void()> on_signal)
    : impl_(std::make_unique<Impl>(std::move(on_signal))) {
  impl_->signals.async_wait([impl = impl_.get()](const boost::system::error_code& ec, int) {
    if (!ec) {
      impl->on_signal();
    }
  });
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

SignalWatch::~SignalWatch() {
  net::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->signals.cancel(ignored);
  });
  impl_->thread.join();
}

}  // namespace sesame::http
